"""SQL that differs between SQLite and PostgreSQL, written once as portable constructs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class seconds_between(FunctionElement):
    """`end - start` in seconds, as a float; NULL when either side is NULL."""

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"

    def __init__(self, start: ColumnElement, end: ColumnElement | datetime):
        from app.store.models import UTCDateTime

        if isinstance(end, datetime):
            end = sa.literal(end, UTCDateTime())
        super().__init__(start, end)


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))::float8"


class json_array_contains(FunctionElement):
    """True when a JSON array column holds `value` as one of its strings."""

    type = sa.Boolean()
    inherit_cache = True
    name = "json_array_contains"


@compiles(json_array_contains, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {value})"


@compiles(json_array_contains, "postgresql")
def _contains_postgresql(element, compiler, **kw):
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({column})::jsonb ? ({value}))"
