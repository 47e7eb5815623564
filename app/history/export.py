"""Streaming exports of the history (all tasks, or those a `TaskFilter` selects).

Both formats are generators of text pieces: the rows are read in keyset-ordered chunks
(`created_at`, `id`), each chunk in its own short read, so memory stays flat however
long the history is, and a slow reader (an HTTP client, a pipe) never pins a database
connection or an SQLite read snapshot between chunks. A task written while an export
runs may or may not be in it; a row is never repeated or split.

JSON is the lossless format (see `document.py`; `importer.py` reads it back). If the
database fails part-way, the stream stops short; a truncated JSON document is refused
by the importer, never half-read.

CSV is for spreadsheets: one row per task, the columns of `TASK_FIELDS` (no events),
RFC 4180 quoting (commas, quotes and newlines inside a cell are quoted), UTF-8 without
a byte-order mark. JSON fields are JSON text; empty cell = null; booleans true/false;
timestamps ISO 8601 UTC. Formula injection: a text cell starting with = + - @ (or a
tab or carriage return, which some spreadsheets skip before reading a formula) gets a
leading apostrophe, so a spreadsheet shows it as text instead of running it. That
apostrophe is part of the cell: a program reading the CSV back should strip it (or
use the JSON export). Numbers we write ourselves are never prefixed.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from app.history.document import EVENT_FIELDS, FORMAT, TASK_FIELDS, VERSION
from app.store.filters import TaskFilter
from app.store.models import GenerationTask, TaskEvent

CHUNK_ROWS = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("json", "csv")

_TASK = GenerationTask.__table__
_EVENT = TaskEvent.__table__
_TASK_COLUMNS = [_TASK.c[name] for name in TASK_FIELDS]
_EVENT_COLUMNS = [_EVENT.c.task_id, *(_EVENT.c[name] for name in EVENT_FIELDS)]


@dataclass(frozen=True)
class ExportStream:
    """A ready export: iterate `chunks` (text) and send it as `media_type`."""

    format: str
    media_type: str
    filename: str
    chunks: Iterator[str]


def open_export(fmt: str, db: sa.Engine, task_filter: TaskFilter | None = None,
                *, now: datetime | None = None) -> ExportStream:
    """The export in `fmt` ("json" or "csv"); nothing is read until it is iterated."""
    now = now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    task_filter = task_filter or TaskFilter()
    if fmt == "json":
        return ExportStream("json", "application/json", f"atelier-history-{stamp}.json",
                            export_json(db, task_filter, exported_at=now))
    if fmt == "csv":
        return ExportStream("csv", "text/csv; charset=utf-8", f"atelier-history-{stamp}.csv",
                            export_csv(db, task_filter))
    raise ValueError(f"unknown export format {fmt!r}")


def export_json(db: sa.Engine, task_filter: TaskFilter, *, exported_at: datetime | None = None,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    exported_at = exported_at or datetime.now(timezone.utc)
    header = {"format": FORMAT, "version": VERSION, "exported_at": exported_at.isoformat()}
    # The header without its closing brace, then the tasks array, then the brace.
    yield json.dumps(header, ensure_ascii=False)[:-1] + ', "tasks": ['
    first = True
    for chunk in task_chunks(db, task_filter, with_events=True, chunk_rows=chunk_rows):
        pieces = []
        for record in chunk:
            pieces.append(("\n" if first else ",\n") + json.dumps(
                record, ensure_ascii=False, default=_json_default))
            first = False
        yield "".join(pieces)
    yield "\n]}\n"


def export_csv(db: sa.Engine, task_filter: TaskFilter,
               *, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TASK_FIELDS)
    yield _drain(buffer)
    for chunk in task_chunks(db, task_filter, with_events=False, chunk_rows=chunk_rows):
        writer.writerows([csv_cell(record[name]) for name in TASK_FIELDS] for record in chunk)
        yield _drain(buffer)


def csv_cell(value: Any) -> str:
    """One value as CSV cell text (see the module notes)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=_json_default)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def task_chunks(db: sa.Engine, task_filter: TaskFilter, *, with_events: bool,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[list[dict[str, Any]]]:
    """Exported task records (plain JSON values), `chunk_rows` at a time, oldest first."""
    after: tuple[datetime, str] | None = None
    while True:
        with db.connect() as connection:
            query = task_filter.apply(sa.select(*_TASK_COLUMNS), db.dialect.name)
            if after is not None:
                stamp, task_id = after
                query = query.where(sa.or_(
                    _TASK.c.created_at > stamp,
                    sa.and_(_TASK.c.created_at == stamp, _TASK.c.id > task_id)))
            rows = connection.execute(
                query.order_by(_TASK.c.created_at, _TASK.c.id).limit(chunk_rows)).mappings().all()
            if not rows:
                return
            records = [_task_record(row) for row in rows]
            if with_events:
                _attach_events(connection, records)
        after = (rows[-1]["created_at"], rows[-1]["id"])
        yield records
        if len(rows) < chunk_rows:
            return


def _attach_events(connection: sa.Connection, records: list[dict[str, Any]]) -> None:
    by_task: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        record["events"] = by_task[record["id"]] = []
    events = connection.execute(
        sa.select(*_EVENT_COLUMNS).where(_EVENT.c.task_id.in_(list(by_task)))
        .order_by(_EVENT.c.task_id, _EVENT.c.id))
    for event in events.mappings():
        by_task[event["task_id"]].append({name: _plain(event[name]) for name in EVENT_FIELDS})


def _task_record(row: sa.RowMapping) -> dict[str, Any]:
    record = {name: _plain(row[name]) for name in TASK_FIELDS}
    body = record.get("provider_body")
    if isinstance(body, dict) and "callBackUrl" in body:
        # Stored bodies are written without it (the Kie client adds it on the way out),
        # but the callback URL carries the task's secret token: never let it out.
        record["provider_body"] = {k: v for k, v in body.items() if k != "callBackUrl"}
    return record


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _json_default(value: Any) -> Any:
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")
    return plain


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
