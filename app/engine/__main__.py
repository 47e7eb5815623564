"""Run one Atelier engine headless (no UI): submit, poll and reconcile tasks.

    python -m app.engine [--serve-port 8100] [--callback-base-url URL] [--time-scale 0.1]

Reads the same settings as the web app (DATABASE_URL, KIE_API_KEY, KIE_BASE_URL,
KIE_UPLOAD_BASE_URL, LEASE_SECONDS, RATE_LIMIT_*, ...). Several engines may share one
database: leases keep them off each other's rows. With `--serve-port` it also serves
Atelier's callback route (and health, metrics) on loopback, and tells Kie to call back
there unless `--callback-base-url` (or PUBLIC_BASE_URL) names another address.

SIGTERM or SIGINT stop it gracefully: no new work is taken, creates in flight get
their answer (up to the request timeout), poll leases are handed back. SIGKILL is
survivable too: leases lapse and another engine takes over (see worker.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator

import uvicorn

from app.engine.notifier import notifier
from app.engine.runtime import get_runtime
from app.engine.worker import Engine
from app.settings import Settings, load_settings_or_exit
from app.store.db import get_engine
from app.loopback import loopback_host_arg

logger = logging.getLogger("atelier.engine.main")


def _port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is 1-65535")
    return port


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.engine",
                                     description="Run one Atelier engine without the UI.")
    parser.add_argument("--serve-port", type=_port, default=None,
                        help="serve the callback route (and /api/health) on this port")
    parser.add_argument("--serve-host", type=loopback_host_arg, default="127.0.0.1")
    parser.add_argument("--callback-base-url", default=None,
                        help="base URL Kie calls back (default: PUBLIC_BASE_URL, else the "
                             "served address; no callbacks when neither is set)")
    parser.add_argument("--time-scale", type=float, default=None,
                        help="scale the catalog's duration priors (for a time-scaled "
                             "simulator; default 1, or DEMO_TIME_SCALE in demo mode)")
    parser.add_argument("--max-concurrency", type=int, default=64,
                        help="requests to Kie in flight at once")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def callback_base_url(args: argparse.Namespace, settings: Settings) -> str | None:
    if args.callback_base_url:
        return args.callback_base_url.rstrip("/")
    if settings.public_base_url:
        return str(settings.public_base_url).rstrip("/")
    if args.serve_port:
        return _base_url(args.serve_host, args.serve_port)
    return None


class _CallbackServer(uvicorn.Server):
    """uvicorn without its own signal handling: this process owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # A restarted engine must get its port back while old connections linger.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _report_server_end(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the callback server stopped: %r; polling continues without callbacks",
                     task.exception())


async def run(args: argparse.Namespace, settings: Settings) -> int:
    runtime = get_runtime()
    engine = Engine(
        settings, runtime.client, get_engine(),
        callback_base_url=callback_base_url(args, settings),
        time_scale=args.time_scale or (settings.demo_time_scale if settings.demo_mode else 1.0),
        max_concurrency=args.max_concurrency,
    )
    # The callback route finds the engine to wake through the runtime.
    runtime.engine = engine

    server: _CallbackServer | None = None
    server_task: asyncio.Task | None = None
    if args.serve_port:
        from app.api.routes import build_api

        try:
            sock = _bind(args.serve_host, args.serve_port)
        except OSError as error:
            print(f"cannot serve callbacks on {args.serve_host}:{args.serve_port}: {error}",
                  file=sys.stderr)
            return 2
        server = _CallbackServer(uvicorn.Config(build_api(), log_level="warning", lifespan="off",
                                                timeout_graceful_shutdown=2))
        server_task = asyncio.create_task(server.serve(sockets=[sock]))
        server_task.add_done_callback(_report_server_end)

    loop = asyncio.get_running_loop()

    def request_stop(signame: str) -> None:
        logger.info("%s received: stopping gracefully", signame)
        loop.create_task(engine.stop())

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop, sig.name)

    if settings.redis_url:
        await notifier.connect_redis(settings.redis_url)
    logger.info("engine %s running (callbacks: %s)", engine.owner,
                engine.callback_base_url or "off")
    try:
        await engine.run()
    finally:
        runtime.engine = None
        if server is not None and server_task is not None:
            server.should_exit = True
            await server_task
        await notifier.close()
        await runtime.client.aclose()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per HTTP request drowns the engine's own story.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings_or_exit()
    if settings.demo_mode and not settings.kie_base_url:
        # Demo mode's simulator lives inside the web app; a headless engine needs an
        # address to talk to (a real key, or a simulator: python -m app.simulator).
        print("Set KIE_API_KEY, or KIE_BASE_URL to a running simulator, to run a "
              "headless engine.", file=sys.stderr)
        return 2
    if not settings.engine_enabled:
        print("ENGINE_ENABLED is false: nothing to run.", file=sys.stderr)
        return 2
    return asyncio.run(run(args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
