"""Changes have a type (normal, standard, emergency); users may be emergency approvers (ECAB)

Revision ID: 0c1f5e7a9b24
Revises: 5b8e0c4d2f61
Create Date: 2026-12-07 07:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0c1f5e7a9b24'
down_revision = '5b8e0c4d2f61'
branch_labels = None
depends_on = None

# Every existing change followed the one path there was: normal (PRODUCT §2.7), its risk kept.
CHANGE_TYPES = ('normal', 'standard', 'emergency')


def upgrade():
    # One ALTER TABLE with the CHECK inline: valid on SQLite and PostgreSQL alike, and it avoids a
    # SQLite batch rebuild, which cannot carry the expression indexes of b7c41e2d9a53.
    allowed = ", ".join(f"'{name}'" for name in CHANGE_TYPES)
    op.execute(
        "ALTER TABLE changes ADD COLUMN change_type VARCHAR(16) DEFAULT 'normal' NOT NULL "
        f"CONSTRAINT ck_changes_change_type_allowed CHECK (change_type IN ({allowed}))"
    )
    op.add_column('users', sa.Column('ecab_member', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    op.drop_column('users', 'ecab_member')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_changes_change_type_allowed'), type_='check')
        batch_op.drop_column('change_type')
