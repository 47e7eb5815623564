"""accounts, sessions and failed sign-ins; one person's history in page order

The owner index gains `id`, the task list's tie-break, so a person's page is read from
the index in order and stops after its rows (without it PostgreSQL sorted every task of
that person for each page).

Revision ID: e7b2d4f1a9c6
Revises: c4e8a2f6b1d3
Create Date: 2026-11-22 23:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from app.store.models import UTCDateTime


revision: str = 'e7b2d4f1a9c6'
down_revision: Union[str, None] = 'c4e8a2f6b1d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'user_account',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('is_admin', sa.Boolean(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('kie_key_encrypted', sa.String(length=1000), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
    )
    op.create_table(
        'user_session',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index('ix_user_session_user_id', 'user_session', ['user_id'])
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_attempt_username_at', 'login_attempt', ['username', 'at'])
    op.create_index('ix_login_attempt_address_at', 'login_attempt', ['address', 'at'])
    # Plain drop/create, not batch mode: SQLite must not rebuild generation_task (its
    # rowids are the full-text index's keys).
    op.drop_index('ix_generation_task_owner_created', table_name='generation_task')
    op.create_index('ix_generation_task_owner_created', 'generation_task',
                    ['owner_id', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_generation_task_owner_created', table_name='generation_task')
    op.create_index('ix_generation_task_owner_created', 'generation_task',
                    ['owner_id', 'created_at'])
    op.drop_index('ix_login_attempt_address_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_username_at', table_name='login_attempt')
    op.drop_table('login_attempt')
    op.drop_index('ix_user_session_user_id', table_name='user_session')
    op.drop_table('user_session')
    op.drop_table('user_account')
