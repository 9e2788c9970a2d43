"""an index on every foreign key still without one: the "My work" filters (implementer, approvers,
requester), approvers' decisions, timeline actors, sync requesters and device types

Revision ID: 77ab1ad93666
Revises: 2a2fb4b61e1f
Create Date: 2026-11-30 09:00:00.000000

Plain CREATE INDEX, not CREATE INDEX CONCURRENTLY. A plain build takes a SHARE lock: reads go on,
writes to the table wait until the upgrade's transaction commits. On PostgreSQL, 200,000
changes and 2,000,000 timeline entries built the four changes indexes in 0.3-0.5 s each and the
timeline one in 4 s on a 2-core machine at load 10, so writes pause for about 6 s, once, during
a deploy. CONCURRENTLY would avoid that pause but needs an autocommit_block (it cannot run in a
transaction): the revision would stop being all-or-nothing, and a failed build would leave an
INVALID index behind that blocks the rerun until someone drops it by hand. An installation far
larger than that can build all nine CONCURRENTLY by hand, under these names, and then
`flask db stamp 77ab1ad93666` instead of upgrading through this revision.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '77ab1ad93666'
down_revision = '2a2fb4b61e1f'
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ('changes', 'implementer_id'),
    ('changes', 'technical_approver_id'),
    ('changes', 'operational_approver_id'),
    ('changes', 'created_by_id'),
    ('approvals', 'approver_id'),
    ('timeline_entries', 'actor_id'),
    ('cw_sync_runs', 'requested_by_id'),
    ('cw_type_mappings', 'device_type_id'),
    ('devices', 'device_type_id'),
)


def upgrade():
    for table, column in FOREIGN_KEYS:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def downgrade():
    for table, column in reversed(FOREIGN_KEYS):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
