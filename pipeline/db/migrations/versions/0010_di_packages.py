"""born-digital packages: document parts and sign-off points

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03 09:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_parts_document_id", "document_parts", ["document_id"])
    op.create_table(
        "sign_offs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("point", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=True),
        sa.Column("signer", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=128), nullable=True),
        sa.Column("agency", sa.String(length=128), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "seq", name="uq_sign_offs_doc_seq"),
    )
    op.create_index("ix_sign_offs_document_id", "sign_offs", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_sign_offs_document_id", table_name="sign_offs")
    op.drop_table("sign_offs")
    op.drop_index("ix_document_parts_document_id", table_name="document_parts")
    op.drop_table("document_parts")
