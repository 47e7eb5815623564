"""Example counts for the property tests: `make test` runs the counts written in each
test; `make bench` sets ATELIER_FUZZ_SCALE to run the same properties with more."""

from __future__ import annotations

import os

FUZZ_SCALE = float(os.environ.get("ATELIER_FUZZ_SCALE", "1"))


def fuzz_examples(count: int) -> int:
    return max(1, round(count * FUZZ_SCALE))


def full_size() -> bool:
    """Checks that a run saw every kind of answer hold at the tests' own sizes; a quick
    benchmark run with fewer examples skips them (its failures are real ones only)."""
    return FUZZ_SCALE >= 1
