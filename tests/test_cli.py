"""`python -m app.cli` end to end: real processes on a real database (DATABASE_URL)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.history.document import TASK_FIELDS
from app.settings import PROJECT_ROOT
from app.store.models import GenerationTask, TaskEvent
from app.store.status import TaskStatus
from tests.databases import migrate_to_head
from tests.history.support import (add_finished, add_result_file, add_task, count,
                                   export_doc)

PROMPT = 'comma, "quote"\nnew line — ü 🎨'


@pytest.fixture
def cli_env(database_url, tmp_path):
    db = migrate_to_head(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HISTORY_RETENTION")}
    env.update(DATABASE_URL=database_url, STORAGE_DIR=str(tmp_path / "storage"),
               PYTHONIOENCODING="utf-8")
    yield db, env
    db.dispose()


def cli(env, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env,
                          input=stdin, capture_output=True, timeout=120)
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    return done


def _history(db, storage_dir: Path | None = None):
    add_finished(db, 0, id="ok1", prompt=PROMPT)
    add_finished(db, 10, id="bad1", status=TaskStatus.FAILED, prompt="=cmd|' /C calc'!A0")
    add_finished(db, 20, id="veo1", api_type="veo3", prompt="a fox")
    add_task(db, id="run1", status=TaskStatus.PROCESSING, api_type="veo3")
    if storage_dir is not None:
        return add_result_file(db, storage_dir, "ok1")


def test_stats_counts_per_model(cli_env):
    db, env = cli_env
    _history(db)
    done = cli(env, "stats")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0].split() == ["model", "tasks", "succeeded", "failed", "canceled", "success",
                                "avg", "s", "p50", "s", "p95", "s", "credits"]
    assert lines[1].split()[:5] == ["imagen4", "2", "1", "1", "0"]
    assert lines[2].split()[:5] == ["veo3", "2", "1", "0", "0"]
    done = cli(env, "stats", "--model", "veo3", "--status", "processing")
    assert [line.split()[:2] for line in done.stdout.decode().splitlines()[1:]] == [["veo3", "1"]]


def test_export_json_to_stdout_streams_the_whole_document(cli_env):
    db, env = cli_env
    _history(db)
    done = cli(env, "export", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout.decode("utf-8"))
    expected = export_doc(db)
    assert document["tasks"] == expected["tasks"]
    assert document["tasks"][0]["prompt"] == PROMPT


def test_export_csv_with_filters_to_a_file(cli_env, tmp_path):
    db, env = cli_env
    _history(db)
    out = tmp_path / "exports" / "out.csv"
    out.parent.mkdir()
    done = cli(env, "export", "--format", "csv", "--status", "failed,succeeded",
               "--model", "imagen4", "--since", "2026-03-01", "--until", "2026-03-01",
               "-o", str(out))
    assert done.returncode == 0 and done.stdout == b"", done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"), newline="")))
    prompt = TASK_FIELDS.index("prompt")
    assert rows[0] == list(TASK_FIELDS)
    assert [(row[0], row[prompt]) for row in rows[1:]] == [
        ("ok1", PROMPT), ("bad1", "'=cmd|' /C calc'!A0")]
    assert list(out.parent.iterdir()) == [out]  # no temporary file left beside it


def test_export_refuses_bad_flags_and_writes_no_file(cli_env, tmp_path):
    _, env = cli_env
    out = tmp_path / "never.json"
    for flags, message in ((["--status", "exploded"], "--status: unknown status 'exploded'"),
                           (["--since", "last tuesday"], "--since: must be an ISO 8601 date"),
                           (["--since", "2026-02-01", "--until", "2026-01-01"], "--until:")):
        done = cli(env, "export", "--format", "json", *flags, "-o", str(out))
        assert done.returncode == 2, flags
        assert message in done.stderr.decode(), done.stderr
        assert not out.exists()
    done = cli(env, "export", "--format", "xml")
    assert done.returncode == 2 and b"invalid choice" in done.stderr


def test_import_then_again_then_a_bad_document(cli_env, tmp_path):
    db, env = cli_env
    _history(db)
    exported = tmp_path / "history.json"
    assert cli(env, "export", "--format", "json", "-o", str(exported)).returncode == 0
    with db.begin() as connection:
        connection.execute(TaskEvent.__table__.delete())
        connection.execute(GenerationTask.__table__.delete())

    done = cli(env, "import", str(exported))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip() == (
        "imported 4, skipped 0 already present (1 unfinished tasks stored as canceled)")
    done = cli(env, "import", "-", stdin=exported.read_bytes())
    assert done.stdout.decode().strip() == "imported 0, skipped 4 already present"
    assert count(db, GenerationTask) == 4

    document = json.loads(exported.read_text("utf-8"))
    document["tasks"][3]["created_at"] = "not a time"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), "utf-8")
    with db.begin() as connection:
        connection.execute(TaskEvent.__table__.delete())
        connection.execute(GenerationTask.__table__.delete())
    done = cli(env, "import", str(bad))
    assert done.returncode == 1
    assert "tasks[3].created_at" in done.stderr.decode()
    assert count(db, GenerationTask) == 0  # the three valid tasks were not written either

    done = cli(env, "import", str(tmp_path / "missing.json"))
    assert done.returncode == 1 and b"cannot read" in done.stderr
    bad.write_text("{oops", "utf-8")
    done = cli(env, "import", str(bad))
    assert done.returncode == 1 and b"document: is not JSON" in done.stderr


def test_cleanup_dry_run_then_real_run(cli_env, tmp_path):
    db, env = cli_env
    stored = _history(db, tmp_path / "storage")  # created in March 2026
    done = cli(env, "cleanup", "--dry-run", "--older-than", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert out.startswith("would delete 3 tasks (12 events, 1 files, 21 bytes)"), out
    assert count(db, GenerationTask) == 4 and stored.exists()
    done = cli(env, "cleanup", "--older-than", "1")
    assert done.stdout.decode().startswith("deleted 3 tasks (12 events, 1 files, 21 bytes)")
    assert count(db, GenerationTask) == 1 and not stored.exists()

    done = cli(env, "cleanup")
    assert done.returncode == 2 and b"HISTORY_RETENTION_DAYS" in done.stderr
    done = cli(dict(env, HISTORY_RETENTION_DAYS="1"), "cleanup", "--dry-run")
    assert done.returncode == 0 and done.stdout.startswith(b"would delete 0 tasks")
    done = cli(env, "cleanup", "--older-than", "-3")
    assert done.returncode == 2 and b"not a number of days" in done.stderr


def test_database_problems_are_one_clear_line(tmp_path):
    missing = tmp_path / "nowhere" / "atelier.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{missing}")
    done = cli(env, "stats")
    assert done.returncode == 1 and b"no database at" in done.stderr
    assert not missing.parent.exists()  # nothing created by a mistyped URL
    empty = tmp_path / "empty.db"
    empty.touch()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{empty}")
    done = cli(env, "stats")
    assert done.returncode == 1
    assert b"run `alembic upgrade head` first" in done.stderr
    done = cli(dict(env, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/none"), "stats")
    assert done.returncode == 1 and b"cannot reach the database" in done.stderr
    done = cli(dict(env, DATABASE_URL="mysql://nope"), "stats")
    assert done.returncode == 2 and b"DATABASE_URL" in done.stderr
    done = cli(env)
    assert done.returncode == 2 and b"usage:" in done.stderr
