"""Helpers shared by the action tests: row counts, stored files, test media."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

from app.store.models import GenerationTask, TaskEvent, UploadedFile
from tests.databases import count  # noqa: F401  (the tests import it from here)




def task_rows(db: sa.Engine) -> int:
    return count(db, GenerationTask)


def event_rows(db: sa.Engine, *where) -> int:
    return count(db, TaskEvent, *where)


def upload_rows(db: sa.Engine) -> list[UploadedFile]:
    with db.connect() as connection:
        rows = connection.execute(sa.select(UploadedFile.__table__)).mappings().all()
    return [UploadedFile(**row) for row in rows]


def files_under(root: Path) -> list[Path]:
    """Every file below root (empty when root does not exist)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def png_bytes(color: tuple[int, int, int] = (200, 30, 30), size: int = 24) -> bytes:
    """A real PNG image, different for each color."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, "PNG")
    return buffer.getvalue()


async def chunked(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    """The body as a browser upload arrives: in pieces."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def pieces(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
