"""Full-text search over prompts and parameters: SQLite FTS5, PostgreSQL full-text.

The index itself is created by a migration (`a3f1c9d2e8b4`): on SQLite an FTS5 table
`task_search` kept in step by triggers (its rowid is the task row's rowid: a later
migration that rebuilds `generation_task` must rebuild this index too), on
PostgreSQL a GIN index over `SEARCH_DOCUMENT_PG`. A query is split into words; every
word must match, as a prefix ("harb" finds "harbour").
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

MAX_TERMS = 12
# The indexed document on PostgreSQL; the GIN index is built over exactly this text.
SEARCH_DOCUMENT_PG = "to_tsvector('simple'::regconfig, coalesce(prompt, '') || ' ' || coalesce(params::text, ''))"
SEARCH_TABLES_SQLITE = "task_search"


def search_terms(text: str) -> list[str]:
    """The words of a search box's text, lower-cased; punctuation and operators dropped."""
    return re.findall(r"\w+", text.lower())[:MAX_TERMS]


def matches_search(text: str, dialect_name: str) -> ColumnElement[bool] | None:
    """A WHERE clause for tasks matching every word of `text`; None when it has no words."""
    terms = search_terms(text)
    if not terms:
        return None
    if dialect_name == "sqlite":
        # Each word quoted as an FTS5 string (\w+ holds no quote) with a prefix star.
        query = " ".join(f'"{term}"*' for term in terms)
        rowids = sa.text("SELECT rowid FROM task_search WHERE task_search MATCH :fts_query"
                         ).bindparams(fts_query=query)
        return sa.literal_column("generation_task.rowid").in_(rowids)
    query = " & ".join(f"{term}:*" for term in terms)
    return sa.text(f"{SEARCH_DOCUMENT_PG} @@ to_tsquery('simple', :ts_query)").bindparams(
        ts_query=query)


def include_in_autogenerate(_object, name, type_, _reflected, _compare_to) -> bool:
    """Alembic's filter: the search index's own tables and index are the migration's,
    not the models', so comparing schema to models leaves them out."""
    if type_ == "table" and name and name.startswith(SEARCH_TABLES_SQLITE):
        return False
    return not (type_ == "index" and name == "ix_generation_task_search")

