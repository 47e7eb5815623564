"""Webhook signatures: base64(HMAC-SHA256(key, "taskId.timestamp")), fresh only."""

from __future__ import annotations

import base64
import hashlib
import hmac

from app.providers.kie import sign, verify_signature

KEY = "whsec-test"
NOW = 1_760_000_000.0
STAMP = str(int(NOW))


def test_sign_matches_the_documented_recipe():
    expected = base64.b64encode(
        hmac.new(KEY.encode(), f"task_1.{STAMP}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign(KEY, "task_1", STAMP) == expected


def test_valid_signature_is_accepted():
    assert verify_signature(KEY, "task_1", STAMP, sign(KEY, "task_1", STAMP), now=NOW)


def test_tampered_task_id_signature_or_key_is_refused():
    good = sign(KEY, "task_1", STAMP)
    assert not verify_signature(KEY, "task_2", STAMP, good, now=NOW)
    assert not verify_signature("other-key", "task_1", STAMP, good, now=NOW)
    flipped = ("A" if good[0] != "A" else "B") + good[1:]
    assert not verify_signature(KEY, "task_1", STAMP, flipped, now=NOW)
    assert not verify_signature(KEY, "task_1", STAMP, "", now=NOW)


def test_stale_and_future_timestamps_are_refused():
    old = str(int(NOW) - 301)
    assert not verify_signature(KEY, "task_1", old, sign(KEY, "task_1", old), now=NOW)
    ahead = str(int(NOW) + 3600)
    assert not verify_signature(KEY, "task_1", ahead, sign(KEY, "task_1", ahead), now=NOW)
    recent = str(int(NOW) - 299)
    assert verify_signature(KEY, "task_1", recent, sign(KEY, "task_1", recent), now=NOW)


def test_max_age_is_adjustable():
    old = str(int(NOW) - 600)
    signature = sign(KEY, "task_1", old)
    assert verify_signature(KEY, "task_1", old, signature, now=NOW, max_age_seconds=900)


def test_garbage_timestamp_is_refused():
    assert not verify_signature(
        KEY, "task_1", "yesterday", sign(KEY, "task_1", "yesterday"), now=NOW
    )
    # Found by the callback fuzz: these raised instead of being refused.
    for stamp in ("\u00b2", "\u0661" * 10, "9" * 5000):  # "²", Arabic-Indic digits, too long
        assert not verify_signature(KEY, "task_1", stamp, "anything", now=NOW)
    assert not verify_signature(KEY, "\ud800", STAMP, "anything", now=NOW)  # lone surrogate


def test_millisecond_timestamp_is_checked_for_freshness_too():
    ms = str(int(NOW * 1000))
    assert verify_signature(KEY, "task_1", ms, sign(KEY, "task_1", ms), now=NOW)
    stale_ms = str(int((NOW - 1000) * 1000))
    assert not verify_signature(KEY, "task_1", stale_ms, sign(KEY, "task_1", stale_ms), now=NOW)
