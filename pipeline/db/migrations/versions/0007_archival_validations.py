"""archival validations: veraPDF preservation events per document

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03 09:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('archival_validations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('validator', sa.String(length=32), nullable=False),
    sa.Column('validator_version', sa.String(length=32), nullable=False),
    sa.Column('profile', sa.String(length=16), nullable=True),
    sa.Column('compliant', sa.Boolean(), nullable=False),
    sa.Column('failed_rules', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('validated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('archival_validations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archival_validations_document_id'), ['document_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('archival_validations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archival_validations_document_id'))
    op.drop_table('archival_validations')
