"""Blackout and maintenance windows, a change's blackout override, calendar feeds, and the indexes the
calendar's visible range reads (PRODUCT §2.5)

Revision ID: 5541796b1a6b
Revises: 6516dfec578b
Create Date: 2026-12-07 07:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5541796b1a6b'
down_revision = '6516dfec578b'
branch_labels = None
depends_on = None

KINDS = ('blackout', 'maintenance')
RECURRENCES = ('once', 'weekly', 'monthly')
MONTHLY_RULES = ('day', 'first_business_day', 'last_business_day')


def upgrade():
    op.create_table(
        'schedule_windows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('recurrence', sa.String(length=16), nullable=False),
        sa.Column('starts_local', sa.DateTime(), nullable=True),
        sa.Column('ends_local', sa.DateTime(), nullable=True),
        sa.Column('weekdays', sa.String(length=7), nullable=False),
        sa.Column('monthly_rule', sa.String(length=24), nullable=False),
        sa.Column('month_day', sa.Integer(), nullable=True),
        sa.Column('start_time', sa.Time(), nullable=True),
        sa.Column('end_time', sa.Time(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(sa.column('kind').in_(KINDS), name=op.f('ck_schedule_windows_kind_allowed')),
        sa.CheckConstraint(sa.column('recurrence').in_(RECURRENCES), name=op.f('ck_schedule_windows_recurrence_allowed')),
        sa.CheckConstraint(sa.column('monthly_rule').in_(MONTHLY_RULES), name=op.f('ck_schedule_windows_monthly_rule_allowed')),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_schedule_windows_company_id_companies')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_schedule_windows_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_windows')),
    )
    op.create_index(op.f('ix_schedule_windows_company_id'), 'schedule_windows', ['company_id'])
    op.create_index(op.f('ix_schedule_windows_organisation_id'), 'schedule_windows', ['organisation_id'])
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_calendar_feeds_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    )
    op.create_index(op.f('ix_calendar_feeds_organisation_id'), 'calendar_feeds', ['organisation_id'])
    op.create_index(op.f('ix_calendar_feeds_token_hash'), 'calendar_feeds', ['token_hash'], unique=True)
    op.create_index(op.f('ix_calendar_feeds_user_id'), 'calendar_feeds', ['user_id'], unique=True)
    # Plain ADD COLUMN (no batch rebuild of `changes`, which would lose its expression indexes).
    op.add_column('changes', sa.Column('blackout_override', sa.Text(), server_default='', nullable=False))
    op.create_index('ix_changes_organisation_id_window_start', 'changes', ['organisation_id', 'window_start'])
    op.create_index('ix_changes_organisation_id_window_end', 'changes', ['organisation_id', 'window_end'])


def downgrade():
    op.drop_index('ix_changes_organisation_id_window_end', table_name='changes')
    op.drop_index('ix_changes_organisation_id_window_start', table_name='changes')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_column('blackout_override')
    op.drop_index(op.f('ix_calendar_feeds_user_id'), table_name='calendar_feeds')
    op.drop_index(op.f('ix_calendar_feeds_token_hash'), table_name='calendar_feeds')
    op.drop_index(op.f('ix_calendar_feeds_organisation_id'), table_name='calendar_feeds')
    op.drop_table('calendar_feeds')
    op.drop_index(op.f('ix_schedule_windows_organisation_id'), table_name='schedule_windows')
    op.drop_index(op.f('ix_schedule_windows_company_id'), table_name='schedule_windows')
    op.drop_table('schedule_windows')
