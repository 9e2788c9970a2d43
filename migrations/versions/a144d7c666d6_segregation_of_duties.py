"""Segregation of duties: the small-team setting and self-approved approvals

Revision ID: a144d7c666d6
Revises: 7d3347727ee1
Create Date: 2026-11-29 11:05:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a144d7c666d6'
down_revision = '7d3347727ee1'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch rebuild on SQLite could not carry the
# expression indexes of other tables that its reflection warns about.


def upgrade():
    op.add_column('organisations', sa.Column('allow_self_approval', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('approvals', sa.Column('self_approved', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('approvals', 'self_approved')
    op.drop_column('organisations', 'allow_self_approval')
