"""indexes for the change list and @mentions, CHECK constraints on enumerated columns, company
names unique ignoring case

Revision ID: b7c41e2d9a53
Revises: 4f7fd9e28e95
Create Date: 2026-11-29 11:20:00.000000

The allowed values are written out here, as they were when this revision was made; the models
build the same constraints from their tuples (cbcw.db.one_of).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e2d9a53'
down_revision = '4f7fd9e28e95'
branch_labels = None
depends_on = None

CHECKS = {
    'changes': {
        'state': ('draft', 'pending_approval', 'approved', 'scheduled', 'in_progress', 'completed', 'failed',
                  'cancelled'),
        'risk': ('low', 'medium', 'high'),
    },
    'approvals': {
        'kind': ('technical', 'operational', 'vcab'),
        'decision': ('approved', 'rejected'),
    },
    'users': {
        'role': ('admin', 'msp', 'engineer', 'viewer'),
    },
    'cw_member_matches': {
        'method': ('auto', 'manual', 'none'),
    },
}


def upgrade():
    # Batch operations first: on SQLite they rebuild the table from its reflection, which cannot
    # carry the expression indexes created below.
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, allowed in columns.items():
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}_allowed'), sa.column(column).in_(allowed))
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_companies_organisation_id_name'), type_='unique')

    op.create_index(op.f('ix_changes_organisation_id_updated_at'), 'changes', ['organisation_id', 'updated_at'])
    op.create_index(op.f('ix_devices_organisation_id_lower_hostname'), 'devices',
                    ['organisation_id', sa.text('lower(hostname)')])
    op.create_index(op.f('uq_companies_organisation_id_lower_name'), 'companies',
                    ['organisation_id', sa.text('lower(name)')], unique=True)


def downgrade():
    op.drop_index(op.f('uq_companies_organisation_id_lower_name'), table_name='companies')
    op.drop_index(op.f('ix_devices_organisation_id_lower_hostname'), table_name='devices')
    op.drop_index(op.f('ix_changes_organisation_id_updated_at'), table_name='changes')

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_unique_constraint(op.f('uq_companies_organisation_id_name'), ['organisation_id', 'name'])
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}_allowed'), type_='check')
