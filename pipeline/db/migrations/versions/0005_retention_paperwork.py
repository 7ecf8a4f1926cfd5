"""retention paperwork: numbered destruction lists, supervisors, appraisals, transfer
approval, declassification conditions and review dates

Existing rows keep their meaning: disposal items not on a list stay queued or approved
but cannot be executed until they are on a destruction list the archives authority
approved (``records disposal list create``, ``... list approve``); transfers already
exported stay exported; confidentiality values are unchanged (``confidential`` is 機密,
see pipeline/secrecy.py) and get no review date until one is recorded.

Revision ID: 0005
Revises: 0008
Create Date: 2026-12-03 09:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disposal_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authority_ref", sa.String(length=128), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("approval_recorded_by", sa.String(length=64), nullable=True),
        sa.Column("approval_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "seq", name="uq_disposal_lists_number"),
    )
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("report_ref", sa.String(length=128), nullable=True),
        sa.Column("appraised_by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["record_files.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisals_file_id"), ["file_id"], unique=False)
    with op.batch_alter_table("disposal_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("supervisors", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_disposal_items_list_id"), ["list_id"], unique=False)
        batch_op.create_foreign_key("fk_disposal_items_list_id", "disposal_lists",
                                    ["list_id"], ["id"])
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authority_ref", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("approval_recorded_by", sa.String(length=64),
                                      nullable=True))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declassify_condition", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("declassify_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("secrecy_review_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("secrecy_review_on")
        batch_op.drop_column("declassify_on")
        batch_op.drop_column("declassify_condition")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_column("approval_recorded_by")
        batch_op.drop_column("approved_on")
        batch_op.drop_column("authority_ref")
    with op.batch_alter_table("disposal_items", schema=None) as batch_op:
        batch_op.drop_constraint("fk_disposal_items_list_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_disposal_items_list_id"))
        batch_op.drop_column("supervisors")
        batch_op.drop_column("position")
        batch_op.drop_column("list_id")
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisals_file_id"))
    op.drop_table("appraisals")
    op.drop_table("disposal_lists")
