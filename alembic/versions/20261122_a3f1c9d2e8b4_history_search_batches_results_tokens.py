"""history: full-text search, durations, favourites, batches, mirrored results, API tokens

Revision ID: a3f1c9d2e8b4
Revises: 7c3e5b9a1d20
Create Date: 2026-11-22 19:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from app.store.models import UTCDateTime
from app.store.search import SEARCH_DOCUMENT_PG

revision: str = 'a3f1c9d2e8b4'
down_revision: Union[str, None] = '7c3e5b9a1d20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# SQLite: an FTS5 table whose rowid is the task row's rowid, kept in step by triggers.
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE task_search USING fts5(body, "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "INSERT INTO task_search(rowid, body) SELECT rowid, "
    "coalesce(prompt, '') || ' ' || coalesce(params, '') FROM generation_task",
    "CREATE TRIGGER task_search_insert AFTER INSERT ON generation_task BEGIN "
    "INSERT INTO task_search(rowid, body) VALUES "
    "(new.rowid, coalesce(new.prompt, '') || ' ' || coalesce(new.params, '')); END",
    "CREATE TRIGGER task_search_update AFTER UPDATE OF prompt, params ON generation_task BEGIN "
    "DELETE FROM task_search WHERE rowid = old.rowid; "
    "INSERT INTO task_search(rowid, body) VALUES "
    "(new.rowid, coalesce(new.prompt, '') || ' ' || coalesce(new.params, '')); END",
    "CREATE TRIGGER task_search_delete AFTER DELETE ON generation_task BEGIN "
    "DELETE FROM task_search WHERE rowid = old.rowid; END",
]


def upgrade() -> None:
    op.create_table(
        'task_batch',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('api_type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('seed_start', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=True),
        sa.Column('owner_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('task_batch', schema=None) as batch_op:
        batch_op.create_index('ix_task_batch_owner_id', ['owner_id'], unique=False)

    op.create_table(
        'result_file',
        sa.Column('task_id', sa.String(length=32), nullable=False),
        sa.Column('state', sa.Enum('mirrored', 'refused', 'failed', name='result_state',
                                   native_enum=False, length=16), nullable=False),
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('source_url', sa.String(length=2048), nullable=False),
        sa.Column('detail', sa.String(length=300), nullable=True),
        sa.Column('storage_path', sa.String(length=255), nullable=True),
        sa.Column('size_bytes', sa.Integer(), nullable=True),
        sa.Column('mime_type', sa.String(length=100), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['generation_task.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('storage_path'),
        sa.UniqueConstraint('task_id', 'position', name='uq_result_file_position'),
    )
    with op.batch_alter_table('result_file', schema=None) as batch_op:
        batch_op.create_index('ix_result_file_task_id', ['task_id'], unique=False)

    op.create_table(
        'api_token',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('owner_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index('ix_api_token_owner_id', ['owner_id'], unique=False)

    with op.batch_alter_table('generation_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('favourite', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('selected_result', sa.Integer(), nullable=True))
        batch_op.create_index('ix_generation_task_status_created', ['status', 'created_at'])
        batch_op.create_index('ix_generation_task_api_type_created', ['api_type', 'created_at'])
        batch_op.create_index('ix_generation_task_api_type_duration',
                              ['api_type', 'duration_seconds'])

    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE generation_task SET duration_seconds = "
                   "(julianday(completed_at) - julianday(submitted_at)) * 86400.0 "
                   "WHERE completed_at IS NOT NULL AND submitted_at IS NOT NULL")
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    else:
        op.execute("UPDATE generation_task SET duration_seconds = "
                   "EXTRACT(EPOCH FROM (completed_at - submitted_at))::float8 "
                   "WHERE completed_at IS NOT NULL AND submitted_at IS NOT NULL")
        op.execute(f"CREATE INDEX ix_generation_task_search ON generation_task "
                   f"USING gin (({SEARCH_DOCUMENT_PG}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS task_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS task_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_generation_task_search")
    with op.batch_alter_table('generation_task', schema=None) as batch_op:
        batch_op.drop_index('ix_generation_task_api_type_duration')
        batch_op.drop_index('ix_generation_task_api_type_created')
        batch_op.drop_index('ix_generation_task_status_created')
        batch_op.drop_column('selected_result')
        batch_op.drop_column('favourite')
        batch_op.drop_column('duration_seconds')
    op.drop_table('api_token')
    op.drop_table('result_file')
    op.drop_table('task_batch')
