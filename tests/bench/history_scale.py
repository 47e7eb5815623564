"""History at scale: list pages and statistics over 1,000,000 tasks, on SQLite and on
PostgreSQL (each a fresh database, removed afterwards).

The history is filled fast but through the real schema: SQLite takes `executemany` in
large transactions with the full-text triggers active (so the FTS5 index is built the
way the app builds it), PostgreSQL takes COPY with every index, the GIN one included, in
place. It holds ~20 models with Zipf-like popularity, mostly succeeded tasks with
lognormal durations around each model's typical time, some failures with a handful of
reasons, prompts drawn from a word list (some words common, some rare), tags on some
tasks, batches and favourites, created over 90 days.

Measured through the actions themselves (what the UI and the API call, result objects
included): the first page of 30 rows under each kind of filter and a page deep in the
keyset pagination, as p50/p95 over rotating values; and model_stats / daily_report /
failure_reasons as medians of several runs. Goals: a filtered page p95 < 20 ms,
per-model statistics < 250 ms.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from app.actions.browse import list_generation_tasks
from app.actions.stats import daily_report, failure_reasons, model_stats
from app.catalog import CATALOG
from app.store.models import GenerationTask
from tests.bench.report import Section, median, percentile
from tests.databases import fresh_postgres_url, migrate_to_head, postgres_available

PAGE = 30
PAGE_GOAL_MS = 20.0
STATS_GOAL_MS = 250.0
DAYS = 90
CHUNK = 50_000
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)

# Descriptive words for prompts; drawn with Zipf-like weights, so the first are in many
# prompts and the last in few.
WORDS = """
a the of at in with and portrait landscape city night light sunset forest river mountain
ocean street cat dog woman man child old young red blue golden green dark bright soft
misty rainy snowy winter summer autumn spring morning evening cinematic photograph
painting watercolour oil sketch illustration poster cover logo icon studio close-up wide
aerial macro neon vintage retro futuristic minimal detailed dramatic calm quiet busy
market harbour lighthouse bridge castle garden desert island village tower station train
car boat ship plane bicycle horse bird owl fox wolf bear deer whale fish flower tree leaf
stone glass metal wood paper fabric cloud storm rain fog smoke fire water ice sand dust
moon star sun sky galaxy planet robot dragon knight wizard queen king dancer musician
chef painter sailor pilot farmer monk soldier astronaut diver skater surfer climber
kitchen library cafe bakery museum theatre cathedral temple ruins cave canyon glacier
volcano waterfall meadow orchard vineyard jungle swamp tundra reef lagoon cliff valley
alley rooftop balcony window doorway staircase corridor attic cellar greenhouse workshop
lantern candle mirror clock map compass violin piano guitar drum trumpet typewriter
camera umbrella hat scarf coat boots kimono armour crown mask feather shell pearl amber
jade ivory obsidian copper silver bronze marble velvet silk linen wool leather ceramic
porcelain origami mosaic stained embroidery tapestry graffiti mural fresco engraving
woodcut linocut etching charcoal pastel gouache tempera ink pixel voxel isometric
lowpoly claymation stopmotion anime manga noir baroque rococo gothic artdeco bauhaus
brutalist victorian edwardian medieval renaissance steampunk cyberpunk solarpunk
dieselpunk vaporwave synthwave ukiyoe impressionist cubist surrealist expressionist
fauvist pointillist
""".split()
TAGS = ["client-a", "client-b", "client-c", "portfolio", "draft", "final", "social",
        "print", "web", "test", "keep", "review", "archive", "series-1", "series-2",
        "series-3", "mood", "ref", "promo", "personal", "campaign", "storyboard", "concept",
        "thumbnail", "banner", "cover", "avatar", "texture", "loop", "jingle"]
FAILURES = [
    ("500", "Internal error, please try again later"),
    ("422", "The prompt was flagged by the content policy"),
    ("501", "Generation failed"),
    ("timeout", "Kie did not finish the task within its deadline"),
    ("400", "Image could not be downloaded from the given URL"),
    ("455", "Service unavailable for maintenance"),
    ("413", "Uploaded file is too large"),
    ("429", "Rate limit exceeded on the provider's side"),
]
ASPECTS = ["1:1", "16:9", "9:16", "4:3", "3:4", "21:9"]
STATUSES = [("succeeded", 0.88), ("failed", 0.07), ("canceled", 0.03),
            ("needs_attention", 0.002)]
STATUS_NAMES = [name for name, _ in STATUSES]

COLUMNS = ["id", "idempotency_key", "provider_task_id", "service", "model", "api_type",
           "api_family", "media_kind", "status", "params", "provider_body", "prompt",
           "result_urls", "fail_code", "fail_message", "credits", "created_at",
           "submitted_at", "updated_at", "completed_at", "poll_attempts",
           "consecutive_errors", "duration_seconds", "batch_id", "tags", "favourite"]


def _models() -> list[dict]:
    models = []
    for rank, (api_type, entry) in enumerate(CATALOG.items()):
        prior = entry.duration
        models.append({
            "api_type": api_type, "service": entry.service,
            "model": entry.model_id or api_type, "family": entry.family.value,
            "media": entry.media_kind.value, "weight": 1 / (rank + 1) ** 0.8,
            "median": prior.median_s,
            # Lognormal spread fitted to the catalog's median and p95.
            "sigma": math.log(prior.p95_s / prior.median_s) / 1.645,
            "credits": {"image": 4.0, "video": 60.0, "audio": 12.0}[entry.media_kind.value],
        })
    return models


class _Maker:
    """Rows in created_at order (as a real history is written), deterministic by seed."""

    def __init__(self, total: int, seed: int = 20261120):
        self.random = random.Random(seed)
        self.total = total
        self.models = _models()
        # Cumulative weights, computed once: random.choices would redo it on every call.
        self.model_weights = list(itertools.accumulate(m["weight"] for m in self.models))
        self.word_weights = list(itertools.accumulate(
            1 / (rank + 1) ** 0.9 for rank in range(len(WORDS))))
        self.status_weights = list(itertools.accumulate(w for _, w in STATUSES))
        self.failure_weights = list(itertools.accumulate([40, 20, 12, 8, 6, 5, 3, 2]))
        self.start = NOW - timedelta(days=DAYS)
        self.step = DAYS * 86400 / total
        self.made = 0
        self.counts: Counter = Counter()

    def chunk(self, size: int) -> list[tuple]:
        rnd = self.random
        rows = []
        # Drawn a chunk at a time: per-row random.choices calls dominated the fill time.
        models = rnd.choices(self.models, cum_weights=self.model_weights, k=size)
        statuses = rnd.choices(STATUS_NAMES, cum_weights=self.status_weights, k=size)
        lengths = [rnd.randint(5, 16) for _ in range(size)]
        pool = rnd.choices(WORDS, cum_weights=self.word_weights, k=sum(lengths))
        taken = 0
        for model, status, length in zip(models, statuses, lengths):
            index = self.made
            self.made += 1
            task_id = f"{rnd.getrandbits(128):032x}"
            created = self.start + timedelta(seconds=(index + rnd.random()) * self.step)
            # The newest few hundred are still moving; older ones ended one way or another.
            if index >= self.total - max(5, self.total // 5000):
                status = rnd.choice(["queued", "pending", "processing"])
            words = pool[taken:taken + length]
            taken += length
            prompt = " ".join(words)
            # The words, tags and names hold no quotes or backslashes: JSON by hand is
            # safe here and several times faster than json.dumps.
            params = f'{{"prompt": "{prompt}", "aspect_ratio": "{rnd.choice(ASPECTS)}"}}'
            submitted = None if status == "queued" else created + timedelta(
                seconds=rnd.uniform(0.2, 3))
            duration = completed = None
            fail_code = fail_message = None
            credits = None
            result_urls = "[]"
            if status in ("succeeded", "failed", "canceled"):
                duration = round(model["median"] * math.exp(rnd.gauss(0, model["sigma"])), 3)
                if status == "failed":
                    fail_code, fail_message = rnd.choices(
                        FAILURES, cum_weights=self.failure_weights)[0]
                    duration = round(duration * rnd.uniform(0.1, 1.0), 3)
                elif status == "succeeded":
                    credits = model["credits"]
                    result_urls = f'["https://tempfile.example/{task_id}.bin"]'
                completed = submitted + timedelta(seconds=duration)
            tags = rnd.sample(TAGS, rnd.randint(1, 2)) if rnd.random() < 0.15 else []
            batch = f"b{index // 4:031x}" if index % 100 < 5 else None
            self.counts.update(set(words))
            for tag in tags:
                self.counts[f"tag:{tag}"] += 1
            self.counts[f"status:{status}"] += 1
            self.counts[f"model:{model['api_type']}"] += 1
            rows.append((
                task_id, task_id, None if submitted is None else f"kie_{task_id}",
                model["service"], model["model"], model["api_type"], model["family"],
                model["media"], status, params,
                f'{{"model": "{model["model"]}", "input": {params}}}', prompt,
                result_urls, fail_code, fail_message, credits, created, submitted,
                completed or submitted or created, completed, 0, 0, duration, batch,
                json.dumps(tags), rnd.random() < 0.02,
            ))
        return rows


def _sqlite_stamp(value):
    # SQLAlchemy's storage format for DateTime on SQLite (UTC, as UTCDateTime binds it).
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _fill_sqlite(engine: sa.Engine, maker: _Maker) -> None:
    marks = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO generation_task ({', '.join(COLUMNS)}) VALUES ({marks})"
    stamps = [COLUMNS.index(c) for c in ("created_at", "submitted_at", "updated_at",
                                         "completed_at")]
    raw = engine.raw_connection()
    raw.detach()  # closed for good afterwards: its fill-only pragmas never reach the pool
    try:
        cursor = raw.cursor()
        # For the fill only (this connection is closed afterwards, the app's settings are
        # untouched): random-keyed indexes (ids, idempotency keys) thrash SQLite's default
        # 2 MiB page cache, and each commit need not wait for the disk.
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.execute("PRAGMA synchronous=OFF")
        while maker.made < maker.total:
            rows = maker.chunk(min(CHUNK, maker.total - maker.made))
            for i, row in enumerate(rows):
                row = list(row)
                for at in stamps:
                    row[at] = _sqlite_stamp(row[at])
                rows[i] = row
            cursor.executemany(sql, rows)
            raw.commit()
    finally:
        raw.close()


def _fill_postgres(engine: sa.Engine, maker: _Maker) -> None:
    raw = engine.raw_connection()
    connection = raw.driver_connection
    # Closed for good afterwards: it ends in autocommit (for VACUUM), and back in the
    # pool it would silently turn the list's SET LOCAL planner settings into no-ops.
    raw.detach()
    try:
        with connection.cursor() as cursor:
            while maker.made < maker.total:
                rows = maker.chunk(min(CHUNK, maker.total - maker.made))
                with cursor.copy(f"COPY generation_task ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                connection.commit()
        # What autovacuum would have done on a history that grew over 90 days: planner
        # statistics, and a visibility map for index-only scans.
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE generation_task")
    finally:
        raw.close()


async def _page_times(db, cases: list[dict], runs: int) -> tuple[list[float], int]:
    """Milliseconds per call of list_generation_tasks over `runs` calls cycling `cases`;
    also the rows the last call returned."""
    times, shown = [], 0
    for case in cases:  # one warm-up each, as a live server's caches would be
        assert (await list_generation_tasks(db=db, limit=PAGE, **case)).ok
    for index in range(runs):
        case = cases[index % len(cases)]
        started = time.perf_counter()
        result = await list_generation_tasks(db=db, limit=PAGE, **case)
        times.append((time.perf_counter() - started) * 1000)
        assert result.ok, result.message
        shown = len(result.data.tasks)
    return times, shown


async def _stat_times(db, action, runs: int, **args) -> list[float]:
    assert (await action(db=db, **args)).ok  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await action(db=db, **args)
        times.append((time.perf_counter() - started) * 1000)
        assert result.ok, result.message
    return times


def _share(counts: Counter, key: str, total: int) -> str:
    return f"{100 * counts[key] / total:.2g} %"


def _deep_cursor(db, sort: str, depth: int) -> str:
    task = GenerationTask.__table__
    order = ([task.c.created_at.desc(), task.c.id.desc()] if sort == "newest"
             else [task.c.created_at.asc(), task.c.id.asc()])
    with db.connect() as connection:
        created, task_id = connection.execute(
            sa.select(task.c.created_at, task.c.id).order_by(*order).offset(depth).limit(1)
        ).one()
    return f"{sort}|{created.isoformat()}|{task_id}"


def _measure_one(db, maker: _Maker, runs: int, stat_runs: int) -> dict:
    total, counts = maker.total, maker.counts
    by_frequency = [m["api_type"] for m in sorted(maker.models,
                                                   key=lambda m: -counts[f"model:{m['api_type']}"])]
    models = [by_frequency[0], by_frequency[len(by_frequency) // 2], by_frequency[-1]]
    ranked_words = [w for w, _ in sorted(((w, counts[w]) for w in set(WORDS)),
                                         key=lambda pair: -pair[1])]
    # A common word, a middling one, a rare one, and two words together.
    words = [ranked_words[len(ranked_words) // 10], ranked_words[len(ranked_words) // 2],
             ranked_words[-5], f"{ranked_words[40]} {ranked_words[80]}"]
    tags = [TAGS[0], TAGS[len(TAGS) // 2], TAGS[-1]]
    cases = [
        ("no filter", [{}], "all"),
        ("status filter", [{"statuses": ["failed"]}, {"statuses": ["canceled"]},
                           {"statuses": ["succeeded"]}],
         "failed " + _share(counts, "status:failed", total)),
        ("model filter", [{"api_type": m} for m in models],
         " / ".join(_share(counts, f"model:{m}", total) for m in models)),
        ("full-text search", [{"search": w} for w in words],
         " / ".join(_share(counts, w, total) for w in words[:3]) + " / two words"),
        ("full-text search, no match", [{"search": "zzyzx"}, {"search": "qwertyuiop"}],
         "0 %"),
        ("tag filter", [{"tag": t} for t in tags],
         " / ".join(_share(counts, f"tag:{t}", total) for t in tags)),
        ("tag filter, no match", [{"tag": "no-such-tag"}], "0 %"),
        ("model + status + search", [{"api_type": by_frequency[0], "statuses": ["succeeded"],
                                      "search": ranked_words[len(ranked_words) // 10]}], ""),
        ("deep page, newest first", [{"after": _deep_cursor(db, "newest", total // 2)}],
         f"row {total // 2:,}"),
        ("deep page, oldest first", [{"sort": "oldest",
                                      "after": _deep_cursor(db, "oldest", total * 3 // 4)}],
         f"row {total * 3 // 4:,}"),
    ]
    pages = []
    for label, variants, note in cases:
        times, shown = asyncio.run(_page_times(db, variants, runs))
        pages.append((label, note, times, shown))
    month = {"created_from": NOW - timedelta(days=30)}
    stats = [
        ("model_stats, all 90 days", model_stats, {}, STATS_GOAL_MS),
        ("model_stats, last 30 days", model_stats, month, STATS_GOAL_MS),
        ("daily_report, 30 days", daily_report,
         {"days": 30, "last_day": NOW.date()}, None),
        ("daily_report, 90 days", daily_report, {"days": 90, "last_day": NOW.date()}, None),
        ("failure_reasons, all 90 days", failure_reasons, {"limit": 10}, None),
    ]
    figures = []
    for label, action, args, goal in stats:
        times = asyncio.run(_stat_times(db, action, stat_runs, **args))
        figures.append((label, times, goal))
    return {"pages": pages, "stats": figures}


def _run_database(label: str, url: str, total: int, runs: int, stat_runs: int) -> dict:
    db = migrate_to_head(url)
    try:
        maker = _Maker(total)
        started = time.perf_counter()
        (_fill_sqlite if db.dialect.name == "sqlite" else _fill_postgres)(db, maker)
        load_s = time.perf_counter() - started
        with db.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM generation_task")).scalar()
        assert stored == total, (stored, total)
        figures = _measure_one(db, maker, runs, stat_runs)
        figures.update(label=label, load_s=load_s, total=total)
        return figures
    finally:
        db.dispose()


def measure(total: int = 1_000_000, runs: int = 60, stat_runs: int = 5) -> Section:
    results = []
    workdir = Path(tempfile.mkdtemp(prefix="atelier-history-"))
    try:
        results.append(_run_database("SQLite", f"sqlite:///{workdir / 'history.db'}",
                                     total, runs, stat_runs))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if postgres_available():
        with fresh_postgres_url() as url:
            results.append(_run_database("PostgreSQL", url, total, runs, stat_runs))

    section = Section(f"History at scale: {total:,} tasks", "make bench  "
                      "(tests/bench/history_scale.py; ATELIER_BENCH_ONLY='history scale')")
    loads = ", ".join(f"{r['label']} {r['load_s']:.0f} s ({total / r['load_s']:,.0f} rows/s)"
                      for r in results)
    section.note(
        f"{total:,} tasks over {DAYS} days, {len(CATALOG)} models (Zipf-like popularity), "
        "88 % succeeded / 7 % failed / 3 % canceled, prompts of 5–16 words from a "
        f"{len(WORDS)}-word list, tags on 15 %. Filled through the migrated schema with "
        f"its indexes and full-text index live: {loads}. Pages: {PAGE} rows through "
        f"list_generation_tasks, {runs} calls per row cycling the values shown (share of "
        f"all tasks in brackets), after one warm-up each. Statistics: median of {stat_runs} "
        f"runs after a warm-up. Load average at the end: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores.")
    for result in results:
        rows = []
        for label, note, times, shown in result["pages"]:
            goal_met = ("—" if label == "no filter" else
                        "yes" if percentile(times, 0.95) < PAGE_GOAL_MS else "**no**")
            rows.append([label, note, str(shown), f"{median(times):.1f}",
                         f"{percentile(times, 0.95):.1f}", f"{max(times):.1f}", goal_met])
        section.note(f"**{result['label']}** — first page (goal for filters: p95 < "
                     f"{PAGE_GOAL_MS:.0f} ms)")
        section.table(["list", "values (share)", "rows", "p50 ms", "p95 ms", "max ms",
                       "goal met"], rows)
        rows = []
        for label, times, goal in result["stats"]:
            met = "—" if goal is None else ("yes" if median(times) < goal else "**no**")
            rows.append([label, f"{median(times):.0f}", f"{min(times):.0f}–{max(times):.0f}",
                         met])
        section.note(f"**{result['label']}** — statistics (goal for per-model: < "
                     f"{STATS_GOAL_MS:.0f} ms)")
        section.table(["action", "median ms", "min–max ms", "goal met"], rows)
    return section


if __name__ == "__main__":
    print(measure(int(os.environ.get("ATELIER_HISTORY_ROWS", "50000"))).render())
