"""A short soak in `make test`: 45 s of mixed work against a faulty Kie, with a SIGKILL
and a restart halfway (tests/soak/runner.py; `make bench` runs it for 30 minutes)."""

from __future__ import annotations

from tests.soak.runner import EDIT_MODEL, run_soak

SECONDS = 45


def test_mixed_work_with_faults_and_a_kill_loses_nothing_and_pays_nothing_twice(tmp_path):
    result = run_soak(SECONDS, tmp_path)
    print("\n" + result.summary())
    assert result.lost == 0, result.lost_detail
    assert result.duplicates == 0 and result.orphans == 0
    assert result.server_errors == 0, result.server_error_detail
    assert result.restart_exit_code == 0, "SIGTERM stops the restarted engine cleanly"
    # The soak did what it says: real work of several kinds, through the kill.
    assert result.completed > 30 and len(result.models) >= 5 and result.models[EDIT_MODEL]
    assert result.unreachable > 0, "the kill left the API unreachable for a while"
    assert result.create_calls > result.kie_tasks, "Kie's faults refused some creates"
