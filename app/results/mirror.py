"""Mirroring one task: each of its result URLs becomes one ResultFile row saying what
became of it (mirrored, refused with a reason, failed with a reason).

Idempotent: positions that already have a row are skipped, and the row's unique
(task_id, position) makes a second writer lose instead of duplicating; the loser
deletes its own copy. Only `result_urls` are mirrored: they are the results a person
asked for. `extra_outputs` (watermarked twins, stream URLs, covers, origin images,
first/last frames) are by-products; keeping them would multiply storage for files
nobody asked for, and ResultFile.position indexes result_urls only.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from app.results.fetch import Failed, Fetched, Refused, fetch
from app.results.sources import MAX_URL_LENGTH, Origin, origins
from app.results.storage import move_into_place, new_relative_path, remove_files
from app.settings import Settings
from app.store.db import load_detached
from app.store.models import GenerationTask, ResultFile, ResultState, utcnow
from app.store.status import TaskStatus

logger = logging.getLogger("atelier.results")

DETAIL_MAX = 300  # ResultFile.detail's column
EXPIRED_DETAIL = "Kie no longer keeps this file"


@dataclass(frozen=True)
class MirrorConfig:
    storage_dir: Path
    max_bytes: int
    timeout_seconds: float
    retention_days: float
    # Origins allowed although private: the provider's own (the simulator on loopback).
    exempt: frozenset[Origin] = frozenset()
    # Pauses before the 2nd, 3rd… try of a download that failed for a passing reason.
    retry_delays: tuple[float, ...] = (2.0, 10.0)

    @classmethod
    def from_settings(cls, settings: Settings, provider_urls: tuple[str | None, ...] = ()
                      ) -> MirrorConfig:
        return cls(storage_dir=settings.storage_dir, max_bytes=settings.mirror_max_bytes,
                   timeout_seconds=settings.mirror_timeout_seconds,
                   retention_days=settings.result_retention_days,
                   exempt=origins(provider_urls))


@dataclass(frozen=True)
class Outcome:
    state: ResultState
    detail: str | None = None
    fetched: Fetched | None = None
    storage_path: str | None = None


async def mirror_task(task_id: str, *, db: sa.Engine, http: httpx.AsyncClient,
                      config: MirrorConfig) -> list[ResultState]:
    """Mirror every result of a succeeded task that has no row yet; return the states
    written by this call (empty when there was nothing left to do)."""
    task = load_detached(db, GenerationTask, task_id)
    if task is None or task.status is not TaskStatus.SUCCEEDED:
        return []
    with Session(db) as session:
        done = set(session.execute(
            sa.select(ResultFile.__table__.c.position).where(ResultFile.__table__.c.task_id == task_id)
        ).scalars())
    written: list[ResultState] = []
    for position, url in enumerate(task.result_urls):
        if position in done:
            continue
        outcome = await _mirror_one(task, url, http, config)
        if _record(db, config, task_id, position, url, outcome):
            written.append(outcome.state)
    return written


def _expired(task: GenerationTask, config: MirrorConfig) -> bool:
    if (task.result_json or {}).get("media_expired"):
        return True
    completed = task.completed_at or task.created_at
    return completed + timedelta(days=config.retention_days) <= utcnow()


async def _mirror_one(task: GenerationTask, url: object, http: httpx.AsyncClient,
                      config: MirrorConfig) -> Outcome:
    if not isinstance(url, str) or not url:
        return Outcome(ResultState.REFUSED, "not a URL")
    if _expired(task, config):
        return Outcome(ResultState.FAILED, EXPIRED_DETAIL)
    attempts = len(config.retry_delays) + 1
    for attempt in range(attempts):
        try:
            fetched = await fetch(http, url, media_kind=task.media_kind,
                                  max_bytes=config.max_bytes,
                                  timeout_seconds=config.timeout_seconds,
                                  storage_dir=config.storage_dir, exempt=config.exempt)
        except Refused as refusal:
            return Outcome(ResultState.REFUSED, str(refusal))
        except Failed as failure:
            if failure.transient and attempt + 1 < attempts:
                await asyncio.sleep(config.retry_delays[attempt])
                continue
            suffix = f" (after {attempt + 1} tries)" if attempt else ""
            return Outcome(ResultState.FAILED, f"{failure}{suffix}")
        except Exception:
            logger.exception("task %s: mirroring %s crashed", task.id, url[:200])
            return Outcome(ResultState.FAILED, "internal error while downloading; see the server log")
        return await _store(fetched, config)
    raise AssertionError("unreachable")


async def _store(fetched: Fetched, config: MirrorConfig) -> Outcome:
    relative = new_relative_path(fetched.extension)
    try:
        await asyncio.to_thread(move_into_place, fetched.partial, config.storage_dir, relative)
    except OSError:
        logger.exception("could not store a mirrored file")
        fetched.partial.unlink(missing_ok=True)
        return Outcome(ResultState.FAILED, "Atelier could not store the file (disk full?)")
    return Outcome(ResultState.MIRRORED, None, fetched, relative)


def _record(db: sa.Engine, config: MirrorConfig, task_id: str, position: int, url: object,
            outcome: Outcome) -> bool:
    """Insert the row; False (and our copy deleted) if another writer was first or the
    task was deleted meanwhile."""
    fetched = outcome.fetched
    row = ResultFile(
        task_id=task_id, position=position, state=outcome.state,
        source_url=str(url)[:MAX_URL_LENGTH],
        detail=(outcome.detail or None) and outcome.detail[:DETAIL_MAX],
        storage_path=outcome.storage_path,
        size_bytes=fetched.size if fetched else None,
        mime_type=fetched.mime_type if fetched else None,
        sha256=fetched.sha256 if fetched else None,
    )
    try:
        with Session(db) as session:
            session.add(row)
            session.commit()
        return True
    except sa.exc.IntegrityError:
        _discard(config, outcome)
        return False
    except BaseException:
        _discard(config, outcome)
        raise


def _discard(config: MirrorConfig, outcome: Outcome) -> None:
    if outcome.storage_path:
        remove_files(config.storage_dir, [outcome.storage_path])
