"""A person's own Kie key: encrypted at rest, never shown, and the key their tasks are
sent (and followed) with; everyone else's tasks keep using the shared key."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.accounts.kie_keys import decrypt, has_personal_kie_key, set_personal_kie_key
from app.accounts.users import create_user
from app.actions.result import ErrorKind
from app.actions.tasks import create_generation_task
from app.simulator.config import SimulatorConfig
from app.store.models import UserAccount
from app.store.status import TaskStatus
from tests.engine.harness import engine_rig

pytestmark = pytest.mark.asyncio
PERSONAL_KEY = "kie-personal-0123456789abcdef"


async def _person(db, name: str) -> str:
    created = await create_user(name, "a long enough password", db=db)
    assert created.ok
    return created.data.id


async def test_a_personal_key_is_stored_encrypted_and_can_be_removed(db_engine):
    ana = await _person(db_engine, "ana")
    assert not has_personal_kie_key(ana, db=db_engine)
    assert (await set_personal_kie_key(ana, f"  {PERSONAL_KEY} ", db=db_engine)).ok
    with Session(db_engine) as session:
        stored = session.get(UserAccount, ana).kie_key_encrypted
    assert PERSONAL_KEY not in stored and decrypt(stored) == PERSONAL_KEY
    assert has_personal_kie_key(ana, db=db_engine)
    bad = await set_personal_kie_key(ana, "two words", db=db_engine)
    assert bad.error_kind is ErrorKind.INVALID_PARAMS and bad.field_errors[0].field == "kie_key"
    assert (await set_personal_kie_key(ana, "", db=db_engine)).ok
    assert not has_personal_kie_key(ana, db=db_engine)


async def test_tasks_go_to_kie_with_their_owners_key(db_engine):
    ana, ben = await _person(db_engine, "ana"), await _person(db_engine, "ben")
    assert (await set_personal_kie_key(ana, PERSONAL_KEY, db=db_engine)).ok
    # This Kie account takes only Ana's key: the shared key is refused.
    config = SimulatorConfig(time_scale=0.01, seed=3, api_key=PERSONAL_KEY)
    async with engine_rig(db_engine, config) as rig:
        mine = await create_generation_task("imagen4", {"prompt": "with my key"},
                                            owner_id=ana, db=db_engine)
        theirs = await create_generation_task("imagen4", {"prompt": "with the shared key"},
                                              owner_id=ben, db=db_engine)
        await rig.wait_until(lambda tasks: all(t.status.is_terminal or
                                               t.status is TaskStatus.NEEDS_ATTENTION
                                               for t in tasks), timeout=30)
        by_id = {task.id: task for task in rig.tasks()}
    assert by_id[mine.data.id].status is TaskStatus.SUCCEEDED
    refused = by_id[theirs.data.id]
    assert refused.status is not TaskStatus.SUCCEEDED and refused.provider_task_id is None


async def test_a_reference_file_goes_to_kie_with_its_owners_key(db_engine, tmp_path, monkeypatch):
    from app.actions.uploads import upload_generation_file
    from app.providers.kie import KieClient
    from app.settings import get_settings
    from app.simulator.testing import running_simulator
    from tests.engine.harness import TEST_API_KEY

    monkeypatch.setenv("KIE_API_KEY", TEST_API_KEY)  # not demo mode: personal keys apply
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        ana, ben = await _person(db_engine, "ana"), await _person(db_engine, "ben")
        assert (await set_personal_kie_key(ana, PERSONAL_KEY, db=db_engine)).ok
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * 200

        async def chunks():
            yield png

        async with running_simulator(SimulatorConfig(api_key=PERSONAL_KEY)) as sim:
            async with KieClient(TEST_API_KEY, sim.base_url, sim.base_url) as client:
                mine = await upload_generation_file(chunks(), "ref.png", owner_id=ana,
                                                    client=client, db=db_engine)
                theirs = await upload_generation_file(chunks(), "ref.png", owner_id=ben,
                                                      client=client, db=db_engine)
        assert mine.ok, mine.message
        assert theirs.error_kind is ErrorKind.UNAUTHORIZED  # the shared key: refused here
    finally:
        get_settings.cache_clear()
