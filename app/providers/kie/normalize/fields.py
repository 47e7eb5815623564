"""Tolerant readers for Kie's loosely typed fields.

The public record is unsure about many field types (see "Unsure" in the contract): JSON
objects sent as JSON strings, codes as strings or numbers, times as epoch milliseconds
or as text. Every reader here accepts each variant and returns None (or empty) rather
than raising, so a surprising field degrades one snapshot detail instead of a poll.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

# Above this, an epoch number is milliseconds (1e11 s is the year 5138).
_EPOCH_MS_THRESHOLD = 1e11
# Keys under which a list item carries its URL (Midjourney: [{"resultUrl": ...}]).
_URL_ITEM_KEYS = ("resultUrl", "url", "downloadUrl", "fileUrl", "imageUrl", "videoUrl")


def parse_json_text(value: Any) -> Any:
    """A JSON value that may arrive decoded or as a JSON string; None when empty/bad."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, (bytes, str)):
        text = value.decode() if isinstance(value, bytes) else value
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None
    return None


def as_dict(value: Any) -> dict[str, Any]:
    """An object that may be a dict or a JSON string of one; {} otherwise."""
    decoded = parse_json_text(value)
    return decoded if isinstance(decoded, dict) else {}


def first_present(data: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first key that is present and not None/empty text."""
    for key in keys:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return value
    return None


def as_text(value: Any) -> str | None:
    """A code or message as text (`failCode` may be a number); None when empty."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def as_fail_code(value: Any) -> str | None:
    """A failure code; 0 (which some families send on success) means "no code"."""
    text = as_text(value)
    return None if text in (None, "0") else text


def as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def as_int(value: Any) -> int | None:
    number = as_float(value)
    return int(number) if number is not None else None


def as_flag(value: Any) -> bool:
    """A 0/1 flag that may be a bool, number or string."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(as_int(value))


def parse_time(value: Any) -> datetime | None:
    """A tz-aware UTC datetime from epoch s/ms (number or digits) or date text.

    Text without a zone (Veo's "2025-06-06 10:30:00") is read as UTC: Kie does not say
    which zone it means, and UTC keeps every stored time comparable.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return _from_epoch(float(text))
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    number = as_float(value)
    return _from_epoch(number) if number is not None else None


def _from_epoch(number: float) -> datetime | None:
    if number <= 0:
        return None
    seconds = number / 1000 if number > _EPOCH_MS_THRESHOLD else number
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def parse_progress(value: Any) -> float | None:
    """Progress as 0..1 from a fraction ("0.45") or a percentage (45)."""
    number = as_float(value)
    if number is None:
        return None
    if number > 1:
        number = number / 100
    return min(max(number, 0.0), 1.0)


def url_list(value: Any) -> list[str]:
    """URLs from a string, a list (of strings or of {"resultUrl": ...}) or a JSON string
    of a list. Order kept, duplicates and empties dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return url_list(parse_json_text(text))
        return [text] if text else []
    if isinstance(value, Mapping):
        item = first_present(value, *_URL_ITEM_KEYS)
        return url_list(item) if isinstance(item, str) else []
    if isinstance(value, Iterable):
        urls: list[str] = []
        for item in value:
            for url in url_list(item):
                if url not in urls:
                    urls.append(url)
        return urls
    return []


def looks_like_url(text: str) -> bool:
    return "://" in text


def snake_case(name: str) -> str:
    """`resultWaterMarkUrls` -> `result_water_mark_urls`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def put_urls(extras: dict[str, list[str]], role: str, value: Any) -> None:
    """Add the URLs in `value` under `role`, skipping empty roles."""
    urls = url_list(value)
    if urls:
        extras.setdefault(role, [])
        extras[role].extend(u for u in urls if u not in extras[role])
