"""job leases for the scheduler

Revision ID: 4f7fd9e28e95
Revises: 1eebf8b65e37
Create Date: 2026-11-29 10:38:14.866428

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f7fd9e28e95'
down_revision = '1eebf8b65e37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_leases',
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_job_leases'))
    )


def downgrade():
    op.drop_table('job_leases')
