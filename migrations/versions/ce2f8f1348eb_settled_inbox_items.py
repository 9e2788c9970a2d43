"""inbox items that ask for nothing any more: resolved_at, set on the approval items of changes
no longer awaiting approval

Revision ID: ce2f8f1348eb
Revises: 9d3e5f7a1b2c
Create Date: 2026-12-07 10:10:00.000000
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ce2f8f1348eb'
down_revision = '9d3e5f7a1b2c'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('notifications', sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
    notifications = sa.table('notifications', sa.column('kind', sa.String()), sa.column('change_id', sa.Integer()),
                             sa.column('read_at', sa.DateTime(timezone=True)),
                             sa.column('resolved_at', sa.DateTime(timezone=True)))
    changes = sa.table('changes', sa.column('id', sa.Integer()), sa.column('state', sa.String()))
    now = datetime.now(timezone.utc)
    op.execute(notifications.update().where(
        notifications.c.kind == 'awaiting_approval',
        notifications.c.change_id.in_(sa.select(changes.c.id).where(changes.c.state != 'pending_approval')),
    ).values(resolved_at=now, read_at=sa.func.coalesce(notifications.c.read_at, now)))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')
