"""indexes for history statistics (per model, per day) and history pages

Both cover every column their statistics read, so the figures come from an index
alone and never from the task rows (which carry prompts and parameters): per model in
(api_type, status, duration_seconds) order, the order nearest-rank percentiles walk; per
day in created_at order, one range per day. The second starts (created_at, id): the
history's page order itself, so a page (searched or not) stops after its rows without
a sort.

Revision ID: c4e8a2f6b1d3
Revises: a3f1c9d2e8b4
Create Date: 2026-11-22 20:00:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'c4e8a2f6b1d3'
down_revision: Union[str, None] = 'a3f1c9d2e8b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain create_index, not batch mode: SQLite must not rebuild generation_task (its
    # rowids are the full-text index's keys).
    op.create_index('ix_generation_task_stats', 'generation_task',
                    ['api_type', 'status', 'duration_seconds', 'credits', 'created_at',
                     'owner_id'])
    op.create_index('ix_generation_task_created_stats', 'generation_task',
                    ['created_at', 'id', 'status', 'credits', 'duration_seconds', 'owner_id'])


def downgrade() -> None:
    op.drop_index('ix_generation_task_created_stats', table_name='generation_task')
    op.drop_index('ix_generation_task_stats', table_name='generation_task')
