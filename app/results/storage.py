"""Where mirrored results live: under STORAGE_DIR/results, never under Reflex's public
upload folder (everything there is served to anyone), each file under a random name.

A name is never derived from the provider's URL, so nothing a remote host chose can
steer a path. Downloads land in `results/.partial/` first and are renamed into place
only once complete, so a reader never sees half a file.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from app.store.models import ResultFile

logger = logging.getLogger("atelier.results")

RESULTS_DIR = "results"
PARTIAL_DIR = ".partial"
PARTIAL_SUFFIX = ".part"
_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
# Rows are looked up this many paths at a time when sweeping (bound parameters).
_SWEEP_BATCH = 500


def results_root(storage_dir: Path) -> Path:
    return Path(storage_dir) / RESULTS_DIR


def new_partial(storage_dir: Path) -> Path:
    """A fresh temporary path for a download under way (its folder exists)."""
    folder = results_root(storage_dir) / PARTIAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex}{PARTIAL_SUFFIX}"


def new_relative_path(extension: str) -> str:
    """`results/ab/ab12….png`: random, spread over 256 folders so none grows huge."""
    name = uuid.uuid4().hex
    extension = extension.lower() if _EXTENSION.match(extension.lower()) else "bin"
    return f"{RESULTS_DIR}/{name[:2]}/{name}.{extension}"


def absolute(storage_dir: Path, relative: str | None) -> Path | None:
    """The file a row names, or None if that name would leave the results folder
    (rows are written only by this package, but the check is cheap)."""
    if not relative:
        return None
    root = results_root(storage_dir).resolve()
    path = (Path(storage_dir) / relative).resolve()
    if root not in path.parents or PARTIAL_DIR in path.relative_to(root).parts:
        return None
    return path


def move_into_place(partial: Path, storage_dir: Path, relative: str) -> Path:
    """fsync, then rename: after a crash the file is either whole or absent.
    Blocking: call it in a thread."""
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    final = Path(storage_dir) / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, final)
    return final


def stored_paths(session: Session, task_ids: Iterable[str]) -> list[str]:
    """The files of these tasks' mirrored results (read them before deleting the rows)."""
    ids = list(task_ids)
    if not ids:
        return []
    table = ResultFile.__table__
    return list(session.execute(
        sa.select(table.c.storage_path)
        .where(table.c.task_id.in_(ids), table.c.storage_path.is_not(None))
    ).scalars())


def remove_files(storage_dir: Path, relative_paths: Iterable[str]) -> int:
    """Delete these stored files; a file already gone is fine. Returns how many went."""
    removed = 0
    for relative in relative_paths:
        path = absolute(storage_dir, relative)
        if path is None:
            logger.warning("not removing %r: outside the results folder", relative)
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError:
            logger.exception("could not remove mirrored file %s", relative)
    return removed


def remove_task_files(task_ids: Iterable[str], db: sa.Engine,
                      storage_dir: Path | None = None) -> int:
    """Delete the mirrored files of these tasks. Call it BEFORE deleting the task rows
    (the rows say which files are theirs; the delete cascades them away).

    For a delete that may still fail, prefer the two steps: `stored_paths(session, ids)`
    in the deleting transaction, then `remove_files(storage_dir, paths)` after its commit.
    Anything missed either way can be reclaimed with `sweep_orphans`.
    """
    if storage_dir is None:
        from app.settings import get_settings

        storage_dir = get_settings().storage_dir
    with Session(db) as session:
        paths = stored_paths(session, task_ids)
    return remove_files(storage_dir, paths)


def sweep_partials(storage_dir: Path, *, older_than_seconds: float) -> int:
    """Remove temporary downloads a crashed process left (older than any download may
    last, so none is still being written). Blocking: call it in a thread."""
    partials = results_root(storage_dir) / PARTIAL_DIR
    if not partials.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    return sum(_unlink_if_older(path, cutoff) for path in partials.iterdir())


def sweep_orphans(db: sa.Engine, storage_dir: Path, *, older_than_seconds: float) -> int:
    """Remove stored files that no row names: a crash between storing a file and
    recording it, or a task deletion that forgot `remove_task_files`.

    For an operator's command, never run automatically: started against the wrong
    database (a mistyped DATABASE_URL), every file would look orphaned. Young files are
    spared: they may be being recorded right now. Blocking."""
    root = results_root(storage_dir)
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    candidates = [path for folder in root.iterdir() if folder.is_dir() and folder.name != PARTIAL_DIR
                  for path in folder.iterdir() if path.is_file()]
    table = ResultFile.__table__
    removed = 0
    for start in range(0, len(candidates), _SWEEP_BATCH):
        batch = {f"{RESULTS_DIR}/{p.parent.name}/{p.name}": p
                 for p in candidates[start:start + _SWEEP_BATCH]}
        with Session(db) as session:
            known = set(session.execute(
                sa.select(table.c.storage_path).where(table.c.storage_path.in_(list(batch)))
            ).scalars())
        removed += sum(_unlink_if_older(path, cutoff)
                       for relative, path in batch.items() if relative not in known)
    return removed


def _unlink_if_older(path: Path, cutoff: float) -> int:
    try:
        if path.stat().st_mtime < cutoff:
            path.unlink()
            return 1
    except FileNotFoundError:
        pass
    except OSError:
        logger.exception("could not sweep %s", path)
    return 0
