"""Which tasks a list, an export, a statistic or a cleanup is about: one filter object,
turned into SQL in one place so every reader of the history agrees."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import ColumnElement

from app.store.models import GenerationTask
from app.store.ownership import visible_clauses
from app.store.search import matches_search, search_terms
from app.store.sql import json_array_contains
from app.store.status import TaskStatus

# The text PostgreSQL's full-text document is built from (see SEARCH_DOCUMENT_PG).
_DOCUMENT_PG = "(coalesce(prompt, '') || ' ' || coalesce(params::text, ''))"


@dataclass(frozen=True)
class SearchScan:
    """Join the full-text condition as a test on rows reached through another index
    (walking created_at newest first), instead of letting the text index drive.

    For a page of a list this is what is wanted when matches are common: the walk
    stops after a page of hits, where starting from the text index fetches and sorts
    every match. On SQLite the hits of the FTS5 table are collected once (optionally
    only between two rowids, which bounds that work to a window of recent rows); on
    PostgreSQL each word is first tested with a cheap ILIKE, so the costly to_tsvector
    is computed only for rows that may match."""

    min_rowid: int | None = None
    max_rowid: int | None = None


@dataclass(frozen=True)
class TaskFilter:
    """Every field narrows; a field left at None (or empty) does not."""

    statuses: tuple[TaskStatus, ...] = ()
    api_type: str | None = None
    search: str | None = None
    created_from: datetime | None = None   # inclusive
    created_to: datetime | None = None     # exclusive
    tag: str | None = None
    batch_id: str | None = None
    favourite: bool | None = None
    # None: everyone's tasks (the admin, or single-user mode).
    owner_id: str | None = None

    def apply(self, query: Select, dialect_name: str, search_scan: SearchScan | None = None
              ) -> Select:
        task = GenerationTask
        if self.statuses:
            query = query.where(task.status.in_(self.statuses))
        if self.api_type:
            query = query.where(task.api_type == self.api_type)
        if self.search:
            clause = (matches_search(self.search, dialect_name) if search_scan is None
                      else _search_while_scanning(self.search, dialect_name, search_scan))
            if clause is not None:
                query = query.where(clause)
        if self.created_from is not None:
            query = query.where(task.created_at >= self.created_from)
        if self.created_to is not None:
            query = query.where(task.created_at < self.created_to)
        if self.tag:
            query = query.where(_has_tag(self.tag, dialect_name))
        if self.batch_id:
            query = query.where(task.batch_id == self.batch_id)
        if self.favourite is not None:
            query = query.where(task.favourite.is_(self.favourite))
        return query.where(*visible_clauses(task.owner_id, self.owner_id))


def _has_tag(tag: str, dialect_name: str) -> ColumnElement[bool]:
    # No index can answer "this JSON array holds this string", so a tag filter tests rows
    # one by one. On SQLite a substring test on the stored JSON text comes first: it
    # costs a fraction of json_each and passes every row that holds the tag (its quoted
    # spelling is in such a row's text); the exact test then runs on those rows only.
    # Only for tags JSON writes as themselves in quotes: others depend on the writer's
    # escaping (ensure_ascii and the like), and then the exact test does it alone.
    # Not on PostgreSQL: its jsonb test is cheap already, and the planner, taking the
    # two tests for independent, expects almost no match and scans the whole table.
    exact = json_array_contains(GenerationTask.tags, sa.literal(tag))
    spelled = json.dumps(tag)
    if dialect_name != "sqlite" or spelled != f'"{tag}"':
        return exact
    in_text = sa.cast(GenerationTask.tags, sa.Text).contains(spelled, autoescape=True)
    return sa.and_(in_text, exact)


def fts5_query(text: str) -> str | None:
    """The FTS5 MATCH string `matches_search` builds: each word quoted, as a prefix."""
    terms = search_terms(text)
    return " ".join(f'"{term}"*' for term in terms) if terms else None


def _search_while_scanning(text: str, dialect_name: str, scan: SearchScan
                           ) -> ColumnElement[bool] | None:
    if not search_terms(text):
        return None
    if dialect_name == "sqlite":
        hits = "SELECT rowid FROM task_search WHERE task_search MATCH :fts_query"
        bounds: dict[str, int] = {}
        # FTS5 narrows its doclists by rowid ranges itself.
        if scan.min_rowid is not None:
            hits += " AND rowid >= :fts_min_rowid"
            bounds["fts_min_rowid"] = scan.min_rowid
        if scan.max_rowid is not None:
            hits += " AND rowid <= :fts_max_rowid"
            bounds["fts_max_rowid"] = scan.max_rowid
        rowids = sa.text(hits).bindparams(fts_query=fts5_query(text), **bounds)
        # The unary + keeps SQLite from driving the query by these rowids.
        return sa.literal_column("+generation_task.rowid").in_(rowids)
    words = [sa.literal_column(_DOCUMENT_PG).ilike(f"%{_escape_like(term)}%", escape="\\")
             for term in search_terms(text)]
    return sa.and_(*words, matches_search(text, dialect_name))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
