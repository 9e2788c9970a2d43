"""inbox items that ask for nothing any more: resolved_at

Revision ID: ce2f8f1348eb
Revises: 9d3e5f7a1b2c
Create Date: 2026-12-07 10:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ce2f8f1348eb'
down_revision = '9d3e5f7a1b2c'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('notifications', sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')
