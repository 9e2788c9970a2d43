"""A linked ticket records which ticket system it belongs to (changes.linked_ticket_system)

Revision ID: 5b8e0c4d2f61
Revises: 2a2fb4b61e1f
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5b8e0c4d2f61'
down_revision = '77ab1ad93666'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite 3.35+, PostgreSQL), as in a144d7c666d6. No CHECK: the keys come
# from the loaded integrations. Every ticket linked so far was ConnectWise's, the only system.


def upgrade():
    op.add_column('changes', sa.Column('linked_ticket_system', sa.String(length=32), nullable=True))
    op.execute(sa.text("UPDATE changes SET linked_ticket_system = 'connectwise' WHERE linked_ticket_id IS NOT NULL"))


def downgrade():
    op.drop_column('changes', 'linked_ticket_system')
