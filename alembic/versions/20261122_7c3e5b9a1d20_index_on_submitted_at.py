"""index on submitted_at (the shared create budget counts recent creates)

Revision ID: 7c3e5b9a1d20
Revises: 5fc12e7099a1
Create Date: 2026-11-22 16:20:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '7c3e5b9a1d20'
down_revision: Union[str, None] = '5fc12e7099a1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('generation_task', schema=None) as batch_op:
        batch_op.create_index('ix_generation_task_submitted_at', ['submitted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('generation_task', schema=None) as batch_op:
        batch_op.drop_index('ix_generation_task_submitted_at')
