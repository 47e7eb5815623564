"""Atelier's history from the command line.

    python -m app.cli stats
    python -m app.cli export --format json|csv [--status S ...] [--model M] [--since D]
                             [--until D] [--search TEXT] [-o FILE]
    python -m app.cli import FILE            (FILE may be - for standard input)
    python -m app.cli cleanup [--dry-run] [--older-than DAYS]

Reads the same settings as the web app (DATABASE_URL, STORAGE_DIR,
HISTORY_RETENTION_DAYS, ...; environment or .env). The export streams: to standard
output by default, or to FILE, which appears only once the export is complete.

Exit codes: 0 done; 1 the work failed or was refused (a bad import document, an
unreachable or unmigrated database, a file that cannot be written); 2 bad command-line
input (an unknown status, a malformed date, no retention to clean up with).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from app.actions.result import ActionResult, ErrorKind
from app.settings import load_settings_or_exit

OK, FAILED, USAGE = 0, 1, 2


class _Failed(Exception):
    """Stop with this message and exit code (no traceback: the message says it all)."""

    def __init__(self, message: str, code: int = FAILED):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.cli", description="Atelier's history: statistics, export, "
                                               "import and cleanup.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    stats = commands.add_parser("stats", help="per model: tasks, outcomes, durations, credits")
    _filter_arguments(stats)

    export = commands.add_parser("export", help="write the history (or a part) as JSON or CSV")
    export.add_argument("--format", choices=("json", "csv"), required=True)
    _filter_arguments(export)
    export.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")

    importing = commands.add_parser("import", help="read a JSON export back in")
    importing.add_argument("file", metavar="FILE", help="a JSON export, or - for stdin")

    cleanup = commands.add_parser("cleanup", help="delete finished tasks past retention")
    cleanup.add_argument("--dry-run", action="store_true",
                         help="only say what would be deleted")
    cleanup.add_argument("--older-than", type=_days, metavar="DAYS",
                         help="instead of HISTORY_RETENTION_DAYS")

    user = commands.add_parser("create-user", help="add an account (the password is read "
                                                   "from stdin, or asked for)")
    user.add_argument("username", metavar="NAME")
    user.add_argument("--admin", action="store_true",
                      help="the first admin (only while Atelier has no account)")
    return parser


# Command-line flag -> `parse_task_filter` field (its problems are named by field).
_FILTER_FLAGS = {"status": "statuses", "model": "api_type", "since": "created_from",
                 "until": "created_to", "search": "search"}


def _filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", action="append", metavar="STATUS",
                        help="only these statuses (repeat, or separate with commas)")
    parser.add_argument("--model", metavar="MODEL", help="only this catalog model id "
                                                         "(api_type, e.g. imagen4)")
    parser.add_argument("--since", metavar="DATE",
                        help="created at or after (ISO 8601; UTC unless an offset is given)")
    parser.add_argument("--until", metavar="DATE",
                        help="created before (ISO 8601); a bare date includes that day")
    parser.add_argument("--search", metavar="TEXT",
                        help="full-text search of prompts and parameters")


def _filter_values(args: argparse.Namespace) -> dict:
    """The filter flags as `parse_task_filter` fields (raw, unchecked)."""
    statuses = [part.strip() for item in args.status or [] for part in item.split(",")
                if part.strip()]
    return dict(statuses=statuses, api_type=args.model, search=args.search,
                created_from=args.since, created_to=args.until)


def _task_filter(args: argparse.Namespace):
    """The checked filter, or a usage error naming the flag at fault."""
    from app.actions.browse import parse_task_filter

    parsed = parse_task_filter(**_filter_values(args))
    if isinstance(parsed, list):
        flag_of = {field: flag for flag, field in _FILTER_FLAGS.items()}
        raise _Failed("\n  ".join(f"--{flag_of.get(p.field, p.field)}: {p.message}"
                                  for p in parsed), USAGE)
    return parsed


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 < days < 100_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days greater than 0")
    return days


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings_or_exit()
    from app.store.db import get_engine

    run = {"stats": _stats, "export": _export, "import": _import, "cleanup": _cleanup,
           "create-user": _create_user}
    try:
        _check_sqlite_file(settings.database_url)
        db = get_engine()
        _check_database(db)
        return run[args.command](args, db)
    except _Failed as failure:
        print(f"{args.command}: {failure}", file=sys.stderr)
        return failure.code
    except sa.exc.SQLAlchemyError as error:
        print(f"{args.command}: database error: {_first_line(error)}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        return 130


def _check_sqlite_file(url: str) -> None:
    # Opening a missing SQLite file would create an empty database (and its folder):
    # a mistyped DATABASE_URL should say so instead.
    database = sa.engine.make_url(url).database if url.startswith("sqlite") else None
    if database and database != ":memory:" and not Path(database).exists():
        raise _Failed(f"no database at {database} (check DATABASE_URL)")


def _check_database(db: sa.Engine) -> None:
    try:
        present = sa.inspect(db).has_table("generation_task")
    except sa.exc.SQLAlchemyError as error:
        raise _Failed(f"cannot reach the database: {_first_line(error)}") from None
    if not present:
        raise _Failed("the database has no Atelier tables: run `alembic upgrade head` first")


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:300]


def _refused(result: ActionResult) -> _Failed:
    """A failed action as a message: one line per field at fault."""
    lines = [result.message]
    if result.field_errors:
        lines = [f"{p.field}: {p.message}" for p in result.field_errors]
    return _Failed("\n  ".join(lines))


# --- stats ---------------------------------------------------------------------

def _stats(args: argparse.Namespace, db: sa.Engine) -> int:
    from app.actions.stats import model_stats

    _task_filter(args)  # bad flags are usage errors, named as flags
    result = asyncio.run(model_stats(db=db, **_filter_values(args)))
    if not result.ok:
        raise _refused(result)
    header = ["model", "tasks", "succeeded", "failed", "canceled", "success", "avg s",
              "p50 s", "p95 s", "credits"]
    rows = [[row.api_type, row.tasks, row.succeeded, row.failed, row.canceled,
             _number(row.success_rate, percent=True), _number(row.duration_avg),
             _number(row.duration_p50), _number(row.duration_p95), _number(row.credits)]
            for row in result.data]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                        for i, (cell, width) in enumerate(zip(row, widths))).rstrip())
    if not rows:
        print("(no tasks)")
    return OK


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.0f}%" if percent else f"{value:.1f}"


# --- export --------------------------------------------------------------------

def _export(args: argparse.Namespace, db: sa.Engine) -> int:
    from app.history.export import open_export

    stream = open_export(args.format, db, _task_filter(args))
    if args.output is None:
        return _to_stdout(stream.chunks)
    with _replaced_on_success(Path(args.output)) as out:
        for chunk in stream.chunks:
            out.write(chunk.encode("utf-8"))
    return OK


def _to_stdout(chunks: Iterator[str]) -> int:
    out = sys.stdout.buffer
    try:
        for chunk in chunks:
            out.write(chunk.encode("utf-8"))
        out.flush()
    except BrokenPipeError:
        # The reader left (`| head`): stop quietly; point stdout at nothing so the
        # interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    except sa.exc.SQLAlchemyError:
        out.flush()
        print("export: incomplete (the database failed part-way)", file=sys.stderr)
        raise
    return OK


@contextlib.contextmanager
def _replaced_on_success(target: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside `target`, moved onto it only if the block succeeds."""
    try:
        handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.",
                                             delete=False)
    except OSError as error:
        raise _Failed(f"cannot write {target}: {error.strerror or error}") from None
    try:
        with handle:
            yield handle
        os.replace(handle.name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


# --- import --------------------------------------------------------------------

def _import(args: argparse.Namespace, db: sa.Engine) -> int:
    from app.history.importer import import_history, parse_document

    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as error:
        raise _Failed(f"cannot read {args.file}: {error.strerror or error}") from None
    parsed = parse_document(raw)
    if not parsed.ok:
        raise _refused(parsed)
    result = asyncio.run(import_history(parsed.data, db=db))
    if not result.ok:
        raise _refused(result)
    report = result.data
    print(f"imported {report.imported}, skipped {report.skipped} already present"
          + (f" ({report.canceled_unfinished} unfinished tasks stored as canceled)"
             if report.canceled_unfinished else ""))
    return OK


# --- cleanup -------------------------------------------------------------------

def _cleanup(args: argparse.Namespace, db: sa.Engine) -> int:
    from app.history.cleanup import cleanup_history

    result = asyncio.run(cleanup_history(older_than_days=args.older_than,
                                         dry_run=args.dry_run, db=db))
    if not result.ok:
        if result.error_kind is ErrorKind.INVALID_PARAMS:
            raise _Failed("no retention is set: set HISTORY_RETENTION_DAYS or pass "
                          "--older-than DAYS", USAGE)
        raise _refused(result)
    report = result.data
    verb = "would delete" if report.dry_run else "deleted"
    print(f"{verb} {report.tasks} tasks ({report.events} events, {report.files} files, "
          f"{report.bytes} bytes) finished and created before {report.cutoff.isoformat()}")
    return OK


def _create_user(args: argparse.Namespace, db: sa.Engine) -> int:
    import getpass

    from app.accounts.users import create_user

    # Never a flag: a password on the command line lands in shell history and `ps`.
    password = (getpass.getpass("Password: ") if sys.stdin.isatty()
                else sys.stdin.readline().rstrip("\n"))
    result = asyncio.run(create_user(args.username, password, first_admin=args.admin, db=db))
    if not result.ok:
        raise _refused(result)
    print(f"created {'admin' if args.admin else 'user'} {result.data.username}")
    return OK


if __name__ == "__main__":
    raise SystemExit(main())
