"""printed: 檔號, 保存年限, 密等 and 解密條件 as printed on a document

Revision ID: 0006
Revises: 0005 (the head of the chain at the time of writing; originally 0004)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("printed", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("printed")
