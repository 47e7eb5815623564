"""Property tests: thousands of malformed inputs thrown at the three server actions.

Whatever arrives, an action answers with an ActionResult (never an exception); a
failure carries an error kind (never INTERNAL: bad input is not our bug) and a message;
and nothing is half-written: rows exist only for accepted creates, and files only for
accepted uploads. Fewer examples run on PostgreSQL (each round trip costs more).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.actions.result import ActionResult, ErrorKind
from app.actions.tasks import create_generation_task, query_generation_task
from app.actions.uploads import upload_generation_file
from app.catalog import CATALOG, get_entry
from app.providers.kie import KieClient
from app.simulator.config import SimulatorConfig
from app.simulator.testing import running_simulator_sync
from app.store.status import TaskStatus
from tests.actions.support import event_rows, files_under, task_rows, upload_rows
from tests.engine.harness import FAST_RETRY
from tests.factories import make_task
from tests.fuzzing import full_size, fuzz_examples

# Examples per test: (SQLite, PostgreSQL); `make bench` multiplies them (tests/fuzzing.py).
CREATE_EXAMPLES = (2000, 600)
QUERY_EXAMPLES = (1500, 500)
UPLOAD_EXAMPLES = (500, 200)
UPLOAD_LIMIT = 4096
STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]+")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
API_TYPES = sorted(CATALOG)
SERVICES = sorted({entry.service for entry in CATALOG.values()})


def _examples(db, per_database: tuple[int, int]) -> int:
    return fuzz_examples(per_database[0] if db.dialect.name == "sqlite" else per_database[1])


def _fuzz_settings(examples: int):
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# --- strategies -------------------------------------------------------------------------

# Text as it can arrive in JSON: always holding a NUL or an unpaired surrogate
# (st.text() leaves surrogates out, and rarely draws a NUL).
NASTY_TEXT = st.tuples(
    st.text(max_size=20), st.sampled_from(["\x00", "\ud800", "\udfff", "\udc80"]),
    st.text(max_size=20),
).map("".join)
SCALARS = st.one_of(
    NASTY_TEXT, st.none(), st.booleans(), st.integers(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70), st.floats(), st.text(max_size=40),
    st.binary(max_size=20),
    st.integers(min_value=1000, max_value=100_000).map(lambda n: "x" * n),  # huge strings
    st.just("\x00"), st.just("\ud800"), st.just("../../etc/passwd"),
)
JUNK = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.tuples(children, children),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), children, max_size=4)),
    max_leaves=12,
)


def _field_value(spec):
    options = [JUNK, st.text(max_size=300)]
    if spec is not None and spec.choices:
        options.append(st.sampled_from(spec.choices))
    if spec is not None and spec.kind in ("integer", "number"):
        options.append(st.integers(min_value=-10, max_value=10 ** 12))
    return st.one_of(*options)


@st.composite
def junk_requests(draw) -> tuple:
    """Anything at all, steered towards real model ids and field names so the deeper
    checks (types, ranges, choices, rules) are reached, not only the first one."""
    api_type = draw(st.one_of(st.sampled_from(API_TYPES), JUNK))
    entry = get_entry(api_type) if isinstance(api_type, str) else None
    fields = {spec.name: spec for spec in (entry.fields if entry is not None else [])}
    names = st.one_of(st.sampled_from(sorted(fields) or ["prompt"]), st.text(max_size=12))
    params = draw(st.one_of(
        st.dictionaries(names, st.just(None), max_size=5).flatmap(
            lambda keys: st.fixed_dictionaries({k: _field_value(fields.get(k)) for k in keys})),
        JUNK,
    ))
    service = draw(st.one_of(st.none(), st.sampled_from(SERVICES), JUNK))
    key = draw(st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"]), st.text(max_size=140),
                         JUNK))
    tags = draw(st.one_of(st.none(), st.lists(st.text(max_size=45), max_size=22), JUNK))
    return api_type, params, service, key, tags


# Requests a person could well send: many are accepted, some reuse a key for other params.
near_valid_requests = st.tuples(
    st.sampled_from(["imagen4", "nano-banana", "bytedance-seedream-image"]),
    # Three plain prompts to one nasty one, so plenty of requests are accepted.
    st.fixed_dictionaries(
        {"prompt": st.one_of(*[st.text(min_size=1, max_size=300)] * 3, NASTY_TEXT)}),
    st.none(),
    st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"]), st.text(min_size=1, max_size=20),
              NASTY_TEXT),
    st.one_of(st.none(), st.lists(st.one_of(st.text(min_size=1, max_size=12), NASTY_TEXT),
                                  max_size=3)),
)


def _record(record_property, outcomes: Counter) -> None:
    """For `make bench` (tests/bench/fuzz.py): how many examples ran, and their answers."""
    record_property("examples", sum(outcomes.values()))
    record_property("outcomes", dict(outcomes))


def _assert_proper(result) -> None:
    assert isinstance(result, ActionResult)
    if not result.ok:
        assert isinstance(result.error_kind, ErrorKind)
        assert result.error_kind is not ErrorKind.INTERNAL, result.message
        assert result.message.strip()


# --- create ------------------------------------------------------------------------------

def test_create_never_raises_and_refused_requests_write_nothing(db_engine, report_figure,
                                                                 record_property):
    loop = asyncio.new_event_loop()
    accepted: set[str] = set()
    outcomes: Counter[str] = Counter()

    @_fuzz_settings(_examples(db_engine, CREATE_EXAMPLES))
    @given(st.one_of(near_valid_requests, junk_requests()))
    def run(request) -> None:
        api_type, params, service, key, tags = request
        result = loop.run_until_complete(create_generation_task(
            api_type, params, service=service, idempotency_key=key, tags=tags, db=db_engine))
        _assert_proper(result)
        outcomes["ok" if result.ok else result.error_kind.value] += 1
        if result.ok:
            assert result.data.status == "queued"
            accepted.add(result.data.id)
        # Only accepted creates left rows, each with exactly its one event.
        assert task_rows(db_engine) == len(accepted)
        assert event_rows(db_engine) == len(accepted)

    try:
        run()
    finally:
        loop.close()
    report_figure(f"fuzz create [{db_engine.dialect.name}]: {sum(outcomes.values())} examples "
                  f"{dict(outcomes)}")
    _record(record_property, outcomes)
    if full_size():
        assert outcomes["ok"] and outcomes["invalid_params"] and outcomes["conflict"]


# --- query -------------------------------------------------------------------------------

def test_query_never_raises_and_changes_nothing_for_unknown_ids(db_engine, report_figure,
                                                                 record_property):
    tasks = [make_task(status=status) for status in
             (TaskStatus.QUEUED, TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED)]
    with Session(db_engine, expire_on_commit=False) as session:
        session.add_all(tasks)
        session.commit()
    known = {task.id: task.status.value for task in tasks}
    ids = st.sampled_from(sorted(known))
    values = st.one_of(
        JUNK, NASTY_TEXT, st.from_regex(r"[0-9a-f]{32}", fullmatch=True), ids,
        st.tuples(ids, NASTY_TEXT).map("".join),
        ids.map(str.upper), ids.map(lambda i: f" {i}"),
    )
    loop = asyncio.new_event_loop()
    outcomes: Counter[str] = Counter()
    # Nothing here may reach Kie; an unreachable loopback client would show up as a message.
    client = KieClient("test-key", "http://127.0.0.1:9", "http://127.0.0.1:9", retry=FAST_RETRY)

    @_fuzz_settings(_examples(db_engine, QUERY_EXAMPLES))
    @given(values)
    def run(task_id) -> None:
        result = loop.run_until_complete(
            query_generation_task(task_id, client=client, db=db_engine))
        _assert_proper(result)
        outcomes["ok" if result.ok else result.error_kind.value] += 1
        if isinstance(task_id, str) and task_id in known:
            assert result.ok and result.data.id == task_id
            assert result.data.status == known[task_id]
        else:
            assert result.error_kind in (ErrorKind.NOT_FOUND, ErrorKind.INVALID_PARAMS)

    try:
        run()
        loop.run_until_complete(client.aclose())
    finally:
        loop.close()
    assert task_rows(db_engine) == len(known)
    report_figure(f"fuzz query [{db_engine.dialect.name}]: {sum(outcomes.values())} examples "
                  f"{dict(outcomes)}")
    _record(record_property, outcomes)


# --- upload ------------------------------------------------------------------------------

NAMES = st.one_of(
    st.text(max_size=300), NASTY_TEXT, JUNK, st.binary(max_size=40),
    st.sampled_from(["../../etc/passwd", "..\\..\\x.png", "/abs/x.png", "a\x00b.png", "..", ".",
                     "\u202egnp.exe", "con.png", "x" * 10_000]),
)
PARTS = st.lists(st.binary(max_size=1024), max_size=8)
CONTENTS = st.one_of(
    PARTS,  # random bytes: refused by content (or empty)
    PARTS.map(lambda parts: [PNG_SIGNATURE, *parts]),  # a PNG, most under the limit
    st.integers(min_value=UPLOAD_LIMIT - 64, max_value=3 * UPLOAD_LIMIT).map(
        lambda size: [PNG_SIGNATURE, bytes(size - len(PNG_SIGNATURE))]),  # around the limit
    st.just([]), st.just([b""]),
)


async def _stream(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _storage_state(storage_dir, db) -> tuple[set[str], set[str]]:
    files = {str(p.relative_to(storage_dir)) for p in files_under(storage_dir)}
    rows = {row.storage_path for row in upload_rows(db)}
    return files, rows


def test_upload_never_raises_and_failed_uploads_leave_nothing(db_engine, storage_dir, upload_limit,
                                                              report_figure, record_property):
    upload_limit(UPLOAD_LIMIT)
    loop = asyncio.new_event_loop()
    outcomes: Counter[str] = Counter()
    with running_simulator_sync(SimulatorConfig(time_scale=0.01)) as sim:
        client = KieClient("test-key", sim.base_url, sim.base_url, timeout=10.0, retry=FAST_RETRY)

        @_fuzz_settings(_examples(db_engine, UPLOAD_EXAMPLES))
        @given(parts=CONTENTS, name=NAMES)
        def run(parts: list[bytes], name) -> None:
            before = _storage_state(storage_dir, db_engine)
            result = loop.run_until_complete(
                upload_generation_file(_stream(parts), name, client=client, db=db_engine))
            _assert_proper(result)
            outcomes["ok" if result.ok else result.error_kind.value] += 1
            files, rows = _storage_state(storage_dir, db_engine)
            if not result.ok:
                assert (files, rows) == before  # nothing half-written
            # Every stored file belongs to a row and the other way round, under a random name.
            assert files == rows
            assert all(STORED_NAME.fullmatch(f.removeprefix("uploads/")) for f in files)
            # Each row was one remote upload; refusals never reached Kie.
            assert sim.state.route_counts["/api/file-stream-upload"] == len(rows)
            if result.ok:
                label = result.data.original_name
                assert 0 < len(label) <= 255 and label.isprintable()
                assert not set(label) & {"/", "\\", "\x00"}

        try:
            run()
            loop.run_until_complete(client.aclose())
        finally:
            loop.close()
    assert len(upload_rows(db_engine)) == len(files_under(storage_dir))
    report_figure(f"fuzz upload [{db_engine.dialect.name}]: {sum(outcomes.values())} examples "
                  f"{dict(outcomes)}")
    _record(record_property, outcomes)
    if full_size():
        assert outcomes["ok"] and outcomes["unsupported_media"] and outcomes["too_large"]
