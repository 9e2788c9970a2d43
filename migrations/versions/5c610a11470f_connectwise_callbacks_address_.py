"""ConnectWise callbacks: address, registrations, received callbacks, ticket alerts and marks

Revision ID: 5c610a11470f
Revises: 0c1f5e7a9b24
Create Date: 2026-12-07 07:10:47.232942

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c610a11470f'
down_revision = '0c1f5e7a9b24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cw_callback_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_encrypted', sa.String(length=500), nullable=False),
    sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_received_what', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cw_callback_endpoints_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cw_callback_endpoints')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_cw_callback_endpoints_key_hash')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_cw_callback_endpoints_organisation_id'))
    )
    op.create_table('cw_callback_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('cw_callback_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cw_callback_registrations_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cw_callback_registrations')),
    sa.UniqueConstraint('organisation_id', 'base_url', 'type', 'level', 'object_id', name=op.f('uq_cw_callback_registrations_organisation_id_base_url_type_level_object_id'))
    )
    op.create_table('cw_callbacks_received',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'done', 'ignored', 'failed')", name=op.f('ck_cw_callbacks_received_state_allowed')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cw_callbacks_received_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cw_callbacks_received')),
    sa.UniqueConstraint('organisation_id', 'digest', name=op.f('uq_cw_callbacks_received_organisation_id_digest'))
    )
    with op.batch_alter_table('cw_callbacks_received', schema=None) as batch_op:
        batch_op.create_index('ix_cw_callbacks_received_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_cw_callbacks_received_entity', ['organisation_id', 'entity_type', 'entity_id'], unique=False)

    op.create_table('cw_ticket_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cw_ticket_marks_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cw_ticket_marks')),
    sa.UniqueConstraint('organisation_id', 'ticket_id', name=op.f('uq_cw_ticket_marks_organisation_id_ticket_id'))
    )
    op.create_table('cw_ticket_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('closed', 'merged', 'moved', 'deleted')", name=op.f('ck_cw_ticket_alerts_kind_allowed')),
    sa.ForeignKeyConstraint(['change_id'], ['changes.id'], name=op.f('fk_cw_ticket_alerts_change_id_changes')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cw_ticket_alerts_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cw_ticket_alerts')),
    sa.UniqueConstraint('change_id', 'ticket_id', 'kind', name=op.f('uq_cw_ticket_alerts_change_id_ticket_id_kind'))
    )
    with op.batch_alter_table('cw_ticket_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cw_ticket_alerts_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('cw_ticket_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cw_ticket_alerts_organisation_id'))

    op.drop_table('cw_ticket_alerts')
    op.drop_table('cw_ticket_marks')
    with op.batch_alter_table('cw_callbacks_received', schema=None) as batch_op:
        batch_op.drop_index('ix_cw_callbacks_received_entity')
        batch_op.drop_index('ix_cw_callbacks_received_due')

    op.drop_table('cw_callbacks_received')
    op.drop_table('cw_callback_registrations')
    op.drop_table('cw_callback_endpoints')
