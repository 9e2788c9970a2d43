"""invitations of an address another organisation uses: no user, what the users list shows

Revision ID: 9d3e5f7a1b2c
Revises: 4e7b9c2d1a6f
Create Date: 2026-12-07 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d3e5f7a1b2c'
down_revision = '4e7b9c2d1a6f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('display_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('vcab_member', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('ecab_member', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.execute(sa.text("DELETE FROM invitations WHERE user_id IS NULL"))
    with op.batch_alter_table('invitations', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        for name in ('ecab_member', 'vcab_member', 'timezone', 'role', 'display_name', 'email'):
            batch_op.drop_column(name)
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
