"""Whether a download is the media its task promised: an image for an image task, etc.

Two looks: the type the server declares (checked before the body is read, so an HTML
error page stops at once) and the type the first bytes show (`filetype`, which knows
no text formats: HTML or SVG with an image/* label never passes). The stored type is
the sniffed one, never the declared one.
"""

from __future__ import annotations

import filetype

MEDIA_KINDS = frozenset({"image", "video", "audio"})
# Enough for every signature filetype knows (it reads at most 8 KiB).
SNIFF_BYTES = 8192
# File servers that know nothing about a file say this: the bytes decide alone.
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream",
                         "application/binary"})


class WrongContent(Exception):
    """The response is not the media the task expects."""


def main_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_declared(content_type: str | None, media_kind: str) -> None:
    if media_kind not in MEDIA_KINDS:
        raise WrongContent(f"a {media_kind or 'non-media'} task has no files to keep")
    declared = main_type(content_type)
    if declared in _UNDECLARED:
        return
    if declared.split("/", 1)[0] != media_kind:
        raise WrongContent(f"the server says it is {declared[:60]}, not {media_kind}")


def sniff(head: bytes, media_kind: str) -> tuple[str, str]:
    """(mime type, extension) of the first bytes, if they are `media_kind` media."""
    kind = filetype.guess(head) if head else None
    if kind is None:
        raise WrongContent(f"the content is not a recognisable {media_kind} file")
    if kind.mime.split("/", 1)[0] != media_kind:
        raise WrongContent(f"the content is {kind.mime}, not {media_kind}")
    return kind.mime, kind.extension
