"""Accounts: argon2 hashes, sign-in, the throttle, sessions that expire or end, and the
first admin taking over what single-user mode made."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.accounts.sessions import end_session, start_session, viewer_for_token
from app.accounts.sign_in import WRONG, sign_in
from app.accounts.users import create_user, set_user_disabled
from app.actions.result import ErrorKind
from app.store.models import ApiToken, GenerationTask, TaskBatch, UserAccount, utcnow
from tests.factories import make_task

pytestmark = pytest.mark.asyncio
PASSWORD = "correct horse battery"


async def _user(db, name="ana", **kwargs):
    created = await create_user(name, PASSWORD, db=db, **kwargs)
    assert created.ok, created.message
    return created.data


async def test_a_password_is_kept_only_as_an_argon2id_hash(db_engine):
    user = await _user(db_engine)
    with Session(db_engine) as session:
        stored = session.get(UserAccount, user.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert (await sign_in("ana", PASSWORD, "10.0.0.1", db=db_engine)).ok
    assert (await sign_in("ANA ", PASSWORD, "10.0.0.1", db=db_engine)).ok  # names fold case


async def test_bad_names_and_passwords_are_refused_by_field(db_engine):
    result = await create_user("a/../b", "short", db=db_engine)
    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert {p.field for p in result.field_errors} == {"username", "password"}
    await _user(db_engine)
    taken = await create_user("Ana", PASSWORD, db=db_engine)
    assert [p.field for p in taken.field_errors] == ["username"]


async def test_a_wrong_password_and_an_unknown_name_read_the_same(db_engine):
    await _user(db_engine)
    wrong = await sign_in("ana", "not the password", "10.0.0.1", db=db_engine)
    unknown = await sign_in("nobody", PASSWORD, "10.0.0.2", db=db_engine)
    assert wrong.error_kind is unknown.error_kind is ErrorKind.UNAUTHORIZED
    assert wrong.message == unknown.message == WRONG


async def test_repeated_failures_lock_the_name_until_the_window_passes(db_engine):
    await _user(db_engine)
    now = utcnow()
    for attempt in range(5):
        failed = await sign_in("ana", f"guess {attempt}", "10.0.0.9", db=db_engine,
                               now=now + timedelta(seconds=attempt))
        assert failed.error_kind is ErrorKind.UNAUTHORIZED
    # Locked: even the right password, even from another address, is refused now.
    locked = await sign_in("ana", PASSWORD, "10.0.0.10", db=db_engine, now=now + timedelta(minutes=1))
    assert locked.error_kind is ErrorKind.RATE_LIMITED and "Try again" in locked.message
    later = await sign_in("ana", PASSWORD, "10.0.0.10", db=db_engine,
                          now=now + timedelta(minutes=16))
    assert later.ok


async def test_one_address_trying_many_names_is_locked_too(db_engine):
    await _user(db_engine)
    now = utcnow()
    for n in range(5):
        await sign_in(f"user{n}", "whatever", "10.1.1.1", db=db_engine, now=now)
    refused = await sign_in("ana", PASSWORD, "10.1.1.1", db=db_engine, now=now)
    assert refused.error_kind is ErrorKind.RATE_LIMITED
    assert (await sign_in("ana", PASSWORD, "10.1.1.2", db=db_engine, now=now)).ok


async def test_a_session_expires_ends_at_sign_out_and_with_a_disabled_account(db_engine):
    user = await _user(db_engine)
    now = utcnow()
    old = start_session(user.id, db=db_engine, now=now - timedelta(hours=169))
    assert viewer_for_token(old, db=db_engine, now=now) is None  # past the 168 h lifetime
    token = start_session(user.id, db=db_engine, now=now)
    viewer = viewer_for_token(token, db=db_engine, now=now + timedelta(hours=167))
    assert viewer is not None and viewer.username == "ana" and viewer.sees == user.id
    assert viewer_for_token(token, db=db_engine, now=now + timedelta(hours=168, seconds=1)) is None

    end_session(token, db=db_engine)
    assert viewer_for_token(token, db=db_engine) is None

    admin = await _user(db_engine, "root", is_admin=True)
    again = start_session(user.id, db=db_engine)
    assert (await set_user_disabled(user.id, True, db=db_engine)).ok
    assert viewer_for_token(again, db=db_engine) is None
    assert (await sign_in("ana", PASSWORD, "10.0.0.1", db=db_engine)).error_kind is ErrorKind.UNAUTHORIZED
    refused = await set_user_disabled(admin.id, True, db=db_engine)
    assert refused.error_kind is ErrorKind.INVALID_PARAMS


async def test_the_first_admin_takes_over_single_user_work_and_only_once(db_engine):
    with Session(db_engine) as session:
        session.add(make_task(prompt="made alone"))
        session.add(TaskBatch(id="b1", api_type="imagen4", size=1))
        session.add(ApiToken(name="old", token_hash="h" * 64, prefix="atl_x"))
        session.commit()
    admin = await _user(db_engine, "root", first_admin=True)
    assert admin.is_admin
    with Session(db_engine) as session:
        for table in (GenerationTask, TaskBatch, ApiToken):
            assert {row.owner_id for row in session.exec(select(table))} == {admin.id}
    second = await create_user("eve", PASSWORD, first_admin=True, db=db_engine)
    assert second.error_kind is ErrorKind.CONFLICT
