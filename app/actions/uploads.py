"""upload_generation_file: stream a reference file to private storage, check what it
really is, and push it to Kie's upload host (once per distinct, still-valid file).

The client's file name is kept as a label only; on disk the file gets a random name
under the private storage folder (not Reflex's public upload folder).
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from collections.abc import AsyncIterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import filetype
import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.kie_keys import key_for_owner
from app.actions.errors import kind_for_kie_error, upload_message_for_kie_error
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.providers.kie import KieClient, KieError
from app.settings import get_settings
from app.store.db import get_engine
from app.store.models import UploadedFile, utcnow
from app.store.views import UploadPublic

ACCEPTED_PREFIXES = ("image/", "video/", "audio/")
SNIFF_BYTES = 8192
NAME_MAX = 255
REMOTE_UPLOAD_PATH = "atelier"
# A remote copy this close to expiry is not reused (a task might start after it dies).
REUSE_MARGIN = timedelta(hours=6)


class _Refused(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def display_name(name: Any) -> str:
    """A label for the person; never used as a path."""
    text = unicodedata.normalize("NFC", str(name or "")).replace("\x00", "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return "".join(ch for ch in text if ch.isprintable())[:NAME_MAX] or "upload"


def _readable_size(size: int) -> str:
    # "0 MB" for a limit under a megabyte would tell the person nothing.
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


async def _receive(chunks: AsyncIterable[bytes], target: Path, max_bytes: int):
    digest, size, head = hashlib.sha256(), 0, b""
    with open(target, "wb") as handle:
        async for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if size > max_bytes:
                raise _Refused(ErrorKind.TOO_LARGE,
                               f"The file is larger than the {_readable_size(max_bytes)} limit.")
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest(), size, head


def _sniff(head: bytes) -> tuple[str, str]:
    kind = filetype.guess(head)
    if kind is None or not kind.mime.startswith(ACCEPTED_PREFIXES):
        raise _Refused(ErrorKind.UNSUPPORTED_MEDIA,
                       "Only image, video and audio files can be used as references "
                       "(the content was checked, not the name).")
    return kind.mime, kind.extension


def _reusable(session: Session, sha256: str, owner_id: str | None) -> UploadedFile | None:
    soon = utcnow() + REUSE_MARGIN
    return session.exec(
        select(UploadedFile).where(
            UploadedFile.sha256 == sha256, UploadedFile.owner_id == owner_id,
            UploadedFile.remote_url.is_not(None), UploadedFile.remote_expires_at > soon,
        ).order_by(UploadedFile.created_at.desc())
    ).first()


@never_raises
async def upload_generation_file(
    chunks: AsyncIterable[bytes],
    original_name: Any,
    *,
    owner_id: str | None = None,
    client: KieClient | None = None,
    db: sa.Engine | None = None,
) -> ActionResult[UploadPublic]:
    settings = get_settings()
    upload_dir = settings.storage_dir / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    file_id = uuid.uuid4().hex
    partial = upload_dir / f"{file_id}.part"
    final: Path | None = None
    try:
        sha256, size, head = await _receive(chunks, partial, settings.upload_max_bytes)
        if size == 0:
            raise _Refused(ErrorKind.INVALID_PARAMS, "The file is empty.")
        mime, extension = _sniff(head)
        engine = db or get_engine()
        with Session(engine, expire_on_commit=False) as session:
            existing = _reusable(session, sha256, owner_id)
        if existing is not None:
            return ActionResult.success(UploadPublic.of(existing), "Same file as before: reused")
        final = upload_dir / f"{file_id}.{extension}"
        os.replace(partial, final)
        if client is None:
            from app.engine.runtime import get_runtime

            client = get_runtime().client
        remote = await client.upload_file_stream(final, REMOTE_UPLOAD_PATH, f"{file_id}.{extension}",
                                                 api_key=key_for_owner(owner_id, db=engine))
        uploaded_at = remote.uploaded_at or utcnow()
        expires = remote.expires_at or uploaded_at + timedelta(hours=settings.upload_remote_ttl_hours)
        row = UploadedFile(
            id=file_id, storage_path=f"uploads/{final.name}", original_name=display_name(original_name),
            size_bytes=size, mime_type=mime, sha256=sha256, remote_url=remote.download_url,
            remote_expires_at=expires, owner_id=owner_id,
        )
        with Session(engine, expire_on_commit=False) as session:
            session.add(row)
            session.commit()
        final = None  # kept: the row owns it now
        return ActionResult.success(UploadPublic.of(row), "Uploaded")
    except _Refused as refused:
        field = "file"
        return ActionResult.failure(refused.kind, refused.message,
                                    [FieldProblem(field, refused.message)])
    except KieError as error:
        return ActionResult.failure(kind_for_kie_error(error), upload_message_for_kie_error(error))
    finally:
        # Nothing half-written stays behind.
        partial.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
