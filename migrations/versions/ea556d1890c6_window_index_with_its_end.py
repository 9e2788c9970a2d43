"""the calendar's window index holds each window's end too, so overlaps are checked in the index

Revision ID: ea556d1890c6
Revises: ec48509ff4e3
Create Date: 2026-12-07 10:00:00.000000
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'ea556d1890c6'
down_revision = 'ec48509ff4e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_changes_organisation_id_window_start_end', 'changes',
                    ['organisation_id', 'window_start', 'window_end'])
    op.drop_index('ix_changes_organisation_id_window_start', table_name='changes')


def downgrade():
    op.create_index('ix_changes_organisation_id_window_start', 'changes', ['organisation_id', 'window_start'])
    op.drop_index('ix_changes_organisation_id_window_start_end', table_name='changes')
