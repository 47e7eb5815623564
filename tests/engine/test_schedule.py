"""When the engine asks Kie again: the pure schedule functions."""

from __future__ import annotations

import random

import pytest

from app.engine.schedule import (
    ExpectedDuration,
    ScheduleSettings,
    error_backoff,
    first_query_delay,
    next_query_delay,
    window_interval,
)

CFG = ScheduleSettings(min_interval=0.34, max_interval=30.0)
IMAGE = ExpectedDuration(median=20.0, p95=60.0)


def test_first_query_goes_at_the_fast_end_of_the_finish_window():
    assert first_query_delay(IMAGE, CFG) == pytest.approx(IMAGE.fast_end)
    assert IMAGE.fast_end < IMAGE.median  # no need to wait for the median
    learned = ExpectedDuration(median=20.0, p95=60.0, p05=12.0)
    assert first_query_delay(learned, CFG) == pytest.approx(12.0)


def test_first_query_is_clamped_to_the_allowed_interval():
    assert first_query_delay(ExpectedDuration(0.01, 0.02), CFG) == CFG.min_interval
    assert first_query_delay(ExpectedDuration(3600.0, 7200.0), CFG) == CFG.max_interval


def test_a_task_queried_early_waits_for_the_window():
    # A callback-triggered query at 2 s must not lead to dense polling from then on.
    delay = next_query_delay(2.0, IMAGE, CFG)
    assert delay == pytest.approx(max(IMAGE.fast_end - 2.0, window_interval(IMAGE, CFG)))


def test_queries_are_steady_inside_the_window_and_bounded_in_number():
    narrow = ExpectedDuration(median=10.0, p95=16.0, p05=6.0)
    steady = window_interval(narrow, CFG)
    for elapsed in (narrow.fast_end, narrow.median, narrow.p95):
        assert next_query_delay(elapsed, narrow, CFG) == pytest.approx(steady)
    # About `window_queries` queries cover the whole window.
    assert (narrow.p95 - narrow.fast_end) / steady == pytest.approx(CFG.window_queries)


def test_a_long_window_is_still_sampled_every_few_seconds():
    video = ExpectedDuration(median=240.0, p95=900.0)
    steady = window_interval(video, CFG)
    assert steady == pytest.approx(CFG.max_interval * CFG.window_cap_share)
    assert steady <= 5.0  # a finished video is noticed within seconds


def test_after_the_p95_the_interval_grows_up_to_the_maximum():
    elapsed = [IMAGE.p95 + extra for extra in (1, 5, 20, 60, 300, 3600)]
    delays = [next_query_delay(e, IMAGE, CFG) for e in elapsed]
    assert delays == sorted(delays), "never denser as the overrun grows"
    assert delays[0] < delays[-1]
    assert delays[-1] == CFG.max_interval


def test_progress_far_from_done_stretches_the_wait_a_little():
    # A tenth done after 30 s: about 270 s left, so no point asking every few seconds.
    steady = window_interval(IMAGE, CFG)
    assert next_query_delay(30.0, IMAGE, CFG, progress=0.1) == pytest.approx(2 * steady)
    # Half done or more: the steady interval stands.
    assert next_query_delay(30.0, IMAGE, CFG, progress=0.6) == pytest.approx(steady)


def test_progress_too_small_to_extrapolate_is_ignored():
    assert next_query_delay(10.0, IMAGE, CFG, progress=0.01) == next_query_delay(10.0, IMAGE, CFG)


@pytest.mark.parametrize("progress", [None, 0.0, 0.05, 0.5, 0.99, 0.9999])
def test_never_more_than_three_queries_per_second_per_task(progress):
    rng = random.Random(1)
    for _ in range(500):
        median = rng.uniform(0.01, 600)
        expected = ExpectedDuration(median=median, p95=median * rng.uniform(1, 5))
        elapsed = rng.uniform(0, 2 * expected.p95)
        delay = next_query_delay(elapsed, expected, CFG, progress)
        assert 1 / 3 <= delay <= CFG.max_interval


def test_error_backoff_doubles_with_jitter_inside_its_bounds():
    rng = random.Random(7)
    cfg = ScheduleSettings(min_interval=0.34, max_interval=30.0, error_base=1.0)
    for errors in range(1, 12):
        ceiling = min(cfg.max_interval, cfg.error_base * 2 ** (errors - 1))
        samples = [error_backoff(errors, cfg, rng) for _ in range(200)]
        assert all(max(cfg.min_interval, ceiling / 2) <= s <= ceiling for s in samples)
        if ceiling / 2 > cfg.min_interval:
            # Jittered: retries of many tasks do not all land at the same moment.
            assert max(samples) - min(samples) > ceiling / 10


def test_error_backoff_is_capped():
    rng = random.Random(3)
    assert all(error_backoff(50, CFG, rng) <= CFG.max_interval for _ in range(100))
