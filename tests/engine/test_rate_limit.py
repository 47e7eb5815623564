"""The create budget: never more than N creates in any window, measured the way Kie
counts them (on arrival, somewhere between our send and its answer)."""

from __future__ import annotations

import random

import pytest

from app.engine.rate_limit import SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def most_in_any_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_a_full_window_blocks_until_the_oldest_answer_ages_out():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 10.0, clock=clock)
    for _ in range(3):
        limiter.settle(limiter.record())
        clock.now += 1.0
    assert limiter.available() == 0
    # The first answer came at 1000.0: its slot frees at 1010.0, 7 s from now (1003.0).
    assert limiter.seconds_until_available() == pytest.approx(7.0)
    clock.now = 1009.99
    assert limiter.available() == 0
    clock.now = 1010.0
    assert limiter.available() == 1


def test_a_create_still_waiting_for_its_answer_holds_its_slot():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, 1.0, clock=clock)
    first, second = limiter.record(), limiter.record()
    clock.now += 60.0  # long after the window: but Kie may count them any moment now
    assert limiter.available() == 0
    assert limiter.seconds_until_available() is None, "only an answer can free a slot"
    limiter.settle(first)
    assert limiter.available() == 0, "its window starts at the answer"
    clock.now += 1.0
    assert limiter.available() == 1
    limiter.settle(second)
    limiter.settle(second)  # settling twice changes nothing
    assert limiter.available() == 1


@pytest.mark.parametrize("seed", range(5))
def test_a_greedy_sender_never_exceeds_the_limit_however_answers_are_delayed(seed):
    rng = random.Random(seed)
    clock = FakeClock()
    limit, window = 20, 1.0
    limiter = SlidingWindowLimiter(limit, window, clock=clock)
    in_flight: list[tuple[float, int, float]] = []  # (answer at, slot, sent at)
    sends, arrivals = [], []
    for _ in range(20_000):
        clock.now += rng.uniform(0.0, 0.01)
        for entry in [e for e in in_flight if e[0] <= clock.now]:
            in_flight.remove(entry)
            limiter.settle(entry[1])
            # Kie counted it at some moment between our send and its answer.
            arrivals.append(rng.uniform(entry[2], entry[0]))
        while limiter.available() > 0:
            latency = rng.choice([0.001, 0.01, 0.2, 0.8])
            in_flight.append((clock.now + latency, limiter.record(), clock.now))
            sends.append(clock.now)
    assert len(sends) > 1000, "the limiter must not starve the sender"
    assert most_in_any_window(sends, window) <= limit
    assert most_in_any_window(arrivals, window) <= limit


def test_back_off_pauses_every_create_for_the_given_time():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 10.0, clock=clock)
    limiter.back_off(5.0)
    assert limiter.available() == 0
    assert limiter.seconds_until_available() == pytest.approx(5.0)
    clock.now += 4.9
    assert limiter.available() == 0
    clock.now += 0.1
    assert limiter.available() == 20
    assert limiter.seconds_until_available() == 0.0


def test_a_shorter_back_off_never_shortens_a_longer_one():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 10.0, clock=clock)
    limiter.back_off(5.0)
    limiter.back_off(1.0)
    clock.now += 2.0
    assert limiter.available() == 0


def test_creates_remembered_from_before_a_restart_still_count():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 10.0, clock=clock)
    limiter.remember([0.0, 4.0, 12.0])  # the last one is already out of the window
    assert limiter.available() == 1
    assert limiter.seconds_until_available() == 0.0
    limiter.settle(limiter.record())
    # The one sent 4 s ago frees its slot 6 s from now.
    assert limiter.seconds_until_available() == pytest.approx(6.0)
