"""Which URLs a mirror may fetch: the defence against server-side request forgery.

A result URL comes from Kie's answer, and Atelier fetches it from inside the operator's
network, so a hostile or broken URL must not reach what only that network can see
(loopback services, the cloud metadata address, the LAN). Three rules:

1. Only http(s) URLs, and only the URLs the provider returned for that task.
2. Every address the host resolves to must be public. This is checked when the socket
   is opened (`GuardedBackend`), on the very address connected to, so a name that
   resolves differently a second time (DNS rebinding) gains nothing. The provider's own
   origin (the simulator on loopback in demo mode and tests) is the one exemption.
3. A redirect is followed only within the origin of the URL the provider returned.
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from collections.abc import Iterable
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

MAX_URL_LENGTH = 2048  # ResultFile.source_url's column
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port)


class UnsafeSource(Exception):
    """This URL, or the address behind it, is not one Atelier fetches."""


def origin_of(url: str) -> Origin | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def origins(urls: Iterable[str | None]) -> frozenset[Origin]:
    return frozenset(o for o in (origin_of(str(u)) for u in urls if u) if o is not None)


def is_public_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return address.is_global and not address.is_multicast


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def check_url(url: str, exempt: frozenset[Origin]) -> Origin:
    """Refuse, before any connection, what can be refused from the text alone."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeSource("the URL is too long")
    origin = origin_of(url)
    if origin is None:
        raise UnsafeSource("not an http(s) URL")
    if urlsplit(url).username is not None:
        raise UnsafeSource("the URL carries credentials")
    host = origin[1]
    if origin not in exempt and _is_ip_literal(host) and not is_public_address(host):
        raise UnsafeSource(f"{host} is a private or local address")
    return origin


def check_redirect(provider_origin: Origin, target: str, exempt: frozenset[Origin]) -> Origin:
    """A redirect may stay on the provider's origin (or move it from http to https)."""
    origin = check_url(target, exempt)
    scheme, host, port = origin
    same = origin == provider_origin
    upgrade = (provider_origin[0] == "http" and scheme == "https" and host == provider_origin[1]
               and port == 443 and provider_origin[2] == 80)
    if not (same or upgrade):
        raise UnsafeSource(f"redirected to another host ({host})")
    return origin


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses unless every address is public (or the origin
    is exempt), then connects to an address it checked: not to the name again."""

    def __init__(self, exempt: frozenset[Origin]) -> None:
        self._exempt_hosts = frozenset((host, port) for _, host, port in exempt)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        if (host.lower(), port) in self._exempt_hosts:
            return await self._inner.connect_tcp(host, port, timeout, local_address,
                                                  socket_options)
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as error:
            # Not the builtin TimeoutError: that one means the whole download's deadline.
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from error
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses or not all(is_public_address(a) for a in addresses):
            raise UnsafeSource(f"{host} resolves to a private or local address")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address,
                                                      socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as failed:
                error = failed
        raise error  # type: ignore[misc]

    async def connect_unix_socket(self, *args: typing.Any, **kwargs: typing.Any):
        raise UnsafeSource("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(exempt: frozenset[Origin], *, connect_timeout: float = 15.0,
                   idle_timeout: float = 30.0, connections: int = 8) -> httpx.AsyncClient:
    """An httpx client that only connects through `GuardedBackend`.

    No proxies from the environment (`trust_env=False`): through a proxy the address
    check would see the proxy, not the host. Redirects are followed by hand (fetch.py)
    so each hop is checked.
    """
    transport = httpx.AsyncHTTPTransport(trust_env=False, retries=0)
    # httpx has no public hook for the network backend: its pool is replaced by an
    # equal one (same TLS context) that connects through the guard.
    pool = transport._pool
    assert isinstance(pool, httpcore.AsyncConnectionPool), "httpx transport changed shape"
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=pool._ssl_context, max_connections=connections,
        max_keepalive_connections=connections, keepalive_expiry=5.0,
        network_backend=GuardedBackend(exempt),
    )
    return httpx.AsyncClient(
        transport=transport, trust_env=False, follow_redirects=False,
        timeout=httpx.Timeout(idle_timeout, connect=connect_timeout),
        headers={"User-Agent": "atelier-result-mirror", "Accept-Encoding": "identity"},
    )
