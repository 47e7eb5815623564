"""Kie's optional webhook signature.

Headers `X-Webhook-Timestamp` (Unix seconds) and `X-Webhook-Signature` =
base64(HMAC-SHA256(key, f"{task_id}.{timestamp}")). Checked in constant time, and
refused when the timestamp is too old (replay) or too far ahead (a clock that cannot
be trusted).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Webhook-Signature"

DEFAULT_MAX_AGE_SECONDS = 300
# Allowance for the sender's clock running ahead of ours.
DEFAULT_MAX_FUTURE_SKEW_SECONDS = 60
# Above this a timestamp is in milliseconds (seconds would be past the year 5000).
_MILLISECONDS_THRESHOLD = 100_000_000_000


def sign(key: str, task_id: str, timestamp: str) -> str:
    """The signature Kie sends for `task_id` at `timestamp`."""
    message = f"{task_id}.{timestamp}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(
    key: str,
    task_id: str,
    timestamp: str,
    signature: str,
    now: float | None = None,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    *,
    max_future_skew_seconds: int = DEFAULT_MAX_FUTURE_SKEW_SECONDS,
) -> bool:
    """True only for a correct signature with a fresh timestamp."""
    if not (key and task_id and timestamp and signature):
        return False
    stamp = timestamp.strip()
    # ASCII digits, no longer than a millisecond stamp: str.isdigit() also passes "²"
    # (which int() refuses), and int() refuses anything over 4300 digits.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 20):
        return False
    seconds = int(stamp)
    # The HMAC covers the text as sent; only the freshness check needs a unit.
    if seconds > _MILLISECONDS_THRESHOLD:
        seconds //= 1000
    current = time.time() if now is None else now
    if seconds < current - max_age_seconds or seconds > current + max_future_skew_seconds:
        return False
    try:
        expected = sign(key, task_id, stamp)
    except UnicodeEncodeError:  # a lone surrogate from JSON: no id Kie sends
        return False
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
