"""outbox writes may remove a cancelled change's implementation window (kind "unschedule")

Revision ID: c5d2e8f1a7b9
Revises: a144d7c666d6
Create Date: 2026-11-29 14:25:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5d2e8f1a7b9'
down_revision = 'a144d7c666d6'
branch_labels = None
depends_on = None

BEFORE = ('status', 'note', 'resource', 'unmatched', 'plan')
AFTER = (*BEFORE, 'unschedule')


def _allow(kinds):
    # SQLite rebuilds the table from its reflection; the tables its foreign keys point at are not
    # needed (and `companies` has an expression index that reflection cannot read).
    with op.batch_alter_table('cw_outbox', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(op.f('ck_cw_outbox_kind_allowed'), type_='check')
        batch_op.create_check_constraint(op.f('ck_cw_outbox_kind_allowed'), sa.column('kind').in_(kinds))


def upgrade():
    _allow(AFTER)


def downgrade():
    op.execute(sa.text("DELETE FROM cw_outbox WHERE kind = 'unschedule'"))
    _allow(BEFORE)
