"""search: demand_scenario.inferred, scenarios stored from a demand's text and not yet confirmed

Revision ID: search_0001
Revises: api_0001
Create Date: 2026-12-01 14:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'search_0001'
down_revision = 'api_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('demand_scenario', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inferred', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('demand_scenario', schema=None) as batch_op:
        batch_op.drop_column('inferred')
