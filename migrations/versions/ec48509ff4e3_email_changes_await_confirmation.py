"""a user's new address awaits confirmation from the link sent to it: email_changes

Revision ID: ec48509ff4e3
Revises: ce2f8f1348eb
Create Date: 2026-12-07 10:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ec48509ff4e3'
down_revision = 'ce2f8f1348eb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_email_changes_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_email_changes_requested_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_changes')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_changes_token_hash'))
    )
    op.create_index(op.f('ix_email_changes_organisation_id'), 'email_changes', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_email_changes_requested_by_id'), 'email_changes', ['requested_by_id'], unique=False)
    op.create_index(op.f('ix_email_changes_user_id'), 'email_changes', ['user_id'], unique=False)


def downgrade():
    op.drop_table('email_changes')
