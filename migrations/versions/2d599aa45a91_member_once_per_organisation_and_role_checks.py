"""One ConnectWise member matches at most one user per organisation; Test Connection keeps what
the API member's security role allows; what the customer-facing discussion may receive

Revision ID: 2d599aa45a91
Revises: 5c610a11470f
Create Date: 2026-12-07 07:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '2d599aa45a91'
down_revision = '5c610a11470f'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cw_settings', sa.Column('last_test_capabilities', sa.JSON(), nullable=False,
                                           server_default='[]'))
    # What reaches the customer-facing discussion beyond the defaults (PRODUCT §3.6, §3.7): off.
    op.add_column('cw_settings', sa.Column('plan_includes_test_and_rollback', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.add_column('cw_settings', sa.Column('time_notes_to_discussion', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    # A member matched to several users keeps its oldest hand-picked match (else its oldest one);
    # the other users fall back to "no match" (PRODUCT §3.6, §3.10: one member, one user).
    op.execute("""
        UPDATE cw_member_matches SET cw_member_id = NULL, cw_member_identifier = NULL,
               cw_member_name = NULL, method = 'none'
        WHERE cw_member_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM cw_member_matches AS kept
            WHERE kept.organisation_id = cw_member_matches.organisation_id
              AND kept.cw_member_id = cw_member_matches.cw_member_id
              AND (CASE WHEN kept.method = 'manual' THEN 0 ELSE 1 END, kept.id)
                  < (CASE WHEN cw_member_matches.method = 'manual' THEN 0 ELSE 1 END, cw_member_matches.id))
    """)
    op.create_index('uq_cw_member_matches_member', 'cw_member_matches', ['organisation_id', 'cw_member_id'],
                    unique=True)


def downgrade():
    op.drop_index('uq_cw_member_matches_member', table_name='cw_member_matches')
    op.drop_column('cw_settings', 'time_notes_to_discussion')
    op.drop_column('cw_settings', 'plan_includes_test_and_rollback')
    op.drop_column('cw_settings', 'last_test_capabilities')
