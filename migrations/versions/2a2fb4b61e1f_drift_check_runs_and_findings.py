"""Drift check (PRODUCT §3.9): the last run per organisation and its findings per change

Revision ID: 2a2fb4b61e1f
Revises: c5d2e8f1a7b9
Create Date: 2026-11-29 13:46:16.937795

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a2fb4b61e1f'
down_revision = 'c5d2e8f1a7b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cw_drift_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('findings_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changes_checked', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cw_drift_runs_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cw_drift_runs')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_cw_drift_runs_organisation_id'))
    )
    op.create_table('cw_drift_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('failed_writes', sa.Integer(), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reapplied_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['changes.id'], name=op.f('fk_cw_drift_findings_change_id_changes')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cw_drift_findings_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cw_drift_findings')),
    sa.UniqueConstraint('organisation_id', 'change_id', name=op.f('uq_cw_drift_findings_organisation_id_change_id'))
    )
    with op.batch_alter_table('cw_drift_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cw_drift_findings_change_id'), ['change_id'], unique=False)



def downgrade():
    with op.batch_alter_table('cw_drift_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cw_drift_findings_change_id'))

    op.drop_table('cw_drift_findings')
    op.drop_table('cw_drift_runs')
