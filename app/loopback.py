"""What counts as loopback: servers Atelier starts for itself listen only there."""

from __future__ import annotations

import argparse
import ipaddress


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (by its text: never resolved)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_host_arg(value: str) -> str:
    """An argparse type that accepts only loopback addresses."""
    if is_loopback_host(value):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a loopback address (use 127.0.0.1, ::1 or localhost)")
