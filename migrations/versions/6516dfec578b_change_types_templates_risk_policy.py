"""Change types (PRODUCT §2.7, §2.8): templates and their versions, post-implementation reviews,
risk questions, the approval policy; a change's template version and risk assessment; ECAB
approvals. Existing changes stay normal with their risk as set (no questionnaire answers).

Revision ID: 6516dfec578b
Revises: 2d599aa45a91
Create Date: 2026-12-07 07:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '6516dfec578b'
down_revision = '2d599aa45a91'
branch_labels = None
depends_on = None

KINDS_BEFORE = ('technical', 'operational', 'vcab')
KINDS_AFTER = (*KINDS_BEFORE, 'ecab')
RISKS = ('low', 'medium', 'high')


def _allow_kinds(kinds):
    with op.batch_alter_table('approvals', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(op.f('ck_approvals_kind_allowed'), type_='check')
        batch_op.create_check_constraint(op.f('ck_approvals_kind_allowed'), sa.column('kind').in_(kinds))


def upgrade():
    op.create_table(
        'change_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('suspended', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('suspended_reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_change_templates_company_id_companies')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_change_templates_created_by_id_users')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_change_templates_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_templates')),
    )
    for column in ('company_id', 'created_by_id', 'organisation_id'):
        op.create_index(op.f(f'ix_change_templates_{column}'), 'change_templates', [column])
    op.create_table(
        'template_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title_pattern', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('implementation_plan', sa.Text(), nullable=False),
        sa.Column('rollback_plan', sa.Text(), nullable=False),
        sa.Column('test_plan', sa.Text(), nullable=False),
        sa.Column('risk_answers', sa.JSON(), nullable=False),
        sa.Column('risk', sa.String(length=8), nullable=False),
        sa.Column('default_duration_minutes', sa.Integer(), nullable=False),
        sa.Column('devices', sa.String(length=1000), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(sa.column('risk').in_(RISKS), name=op.f('ck_template_versions_risk_allowed')),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_template_versions_approved_by_id_users')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_template_versions_author_id_users')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_template_versions_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['template_id'], ['change_templates.id'],
                                name=op.f('fk_template_versions_template_id_change_templates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_template_versions')),
        sa.UniqueConstraint('template_id', 'version', name=op.f('uq_template_versions_template_id_version')),
    )
    for column in ('approved_by_id', 'author_id', 'organisation_id', 'template_id'):
        op.create_index(op.f(f'ix_template_versions_{column}'), 'template_versions', [column])
    op.create_table(
        'change_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('change_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('what_was_done', sa.Text(), nullable=False),
        sa.Column('why_urgent', sa.Text(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('follow_ups', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_change_reviews_author_id_users')),
        sa.ForeignKeyConstraint(['change_id'], ['changes.id'], name=op.f('fk_change_reviews_change_id_changes')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_change_reviews_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_reviews')),
        sa.UniqueConstraint('change_id', name=op.f('uq_change_reviews_change_id')),
    )
    for column in ('author_id', 'organisation_id'):
        op.create_index(op.f(f'ix_change_reviews_{column}'), 'change_reviews', [column])
    op.create_table(
        'risk_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_risk_questions_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_questions')),
        sa.UniqueConstraint('organisation_id', 'key', name=op.f('uq_risk_questions_organisation_id_key')),
    )
    op.create_index(op.f('ix_risk_questions_organisation_id'), 'risk_questions', ['organisation_id'])
    op.create_table(
        'change_policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('medium_threshold', sa.Integer(), nullable=False),
        sa.Column('high_threshold', sa.Integer(), nullable=False),
        sa.Column('approvals', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_change_policies_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_policies')),
        sa.UniqueConstraint('organisation_id', name=op.f('uq_change_policies_organisation_id')),
    )
    # Plain ALTER TABLEs on `changes` (no SQLite batch rebuild: it would lose the expression
    # indexes of b7c41e2d9a53); the foreign key inline, valid on SQLite and PostgreSQL alike.
    op.execute(
        "ALTER TABLE changes ADD COLUMN template_version_id INTEGER "
        "CONSTRAINT fk_changes_template_version_id_template_versions REFERENCES template_versions (id)"
    )
    op.create_index(op.f('ix_changes_template_version_id'), 'changes', ['template_version_id'])
    op.add_column('changes', sa.Column('risk_answers', sa.JSON(), server_default='{}', nullable=False))
    op.add_column('changes', sa.Column('risk_score', sa.Integer(), nullable=True))
    op.add_column('changes', sa.Column('risk_drivers', sa.JSON(), server_default='[]', nullable=False))
    _allow_kinds(KINDS_AFTER)


def downgrade():
    op.execute(sa.text("DELETE FROM approvals WHERE kind = 'ecab'"))
    _allow_kinds(KINDS_BEFORE)
    # Dropping the column drops its foreign key too (SQLite reflects the inline one unnamed).
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index(op.f('ix_changes_template_version_id'))
        batch_op.drop_column('template_version_id')
        batch_op.drop_column('risk_drivers')
        batch_op.drop_column('risk_score')
        batch_op.drop_column('risk_answers')
    op.drop_table('change_policies')
    op.drop_table('risk_questions')
    op.drop_table('change_reviews')
    op.drop_table('template_versions')
    op.drop_table('change_templates')
