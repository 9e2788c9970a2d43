"""The change's ConnectWise ticket columns become a generic linked ticket (data kept)

Revision ID: 7d3347727ee1
Revises: a3e9f9e43e98
Create Date: 2026-11-29 10:50:00

"""
from alembic import op

revision = '7d3347727ee1'
down_revision = 'a3e9f9e43e98'
branch_labels = None
depends_on = None

RENAMES = (
    ('cw_ticket_id', 'linked_ticket_id'),
    ('cw_ticket_summary', 'linked_ticket_summary'),
    ('cw_ticket_board', 'linked_ticket_board'),
    ('cw_ticket_status', 'linked_ticket_status'),
)


# RENAME COLUMN (PostgreSQL, SQLite 3.25+) keeps the rows, indexes and CHECK constraints in place;
# a batch rebuild of the table on SQLite could not carry the expression indexes.


def upgrade():
    for old, new in RENAMES:
        op.execute(f'ALTER TABLE changes RENAME COLUMN {old} TO {new}')


def downgrade():
    for old, new in RENAMES:
        op.execute(f'ALTER TABLE changes RENAME COLUMN {new} TO {old}')
