"""demands: an index in the lists' "newest first" order (published_at DESC NULLS LAST, id DESC)

PostgreSQL cannot serve that ORDER BY from the ascending published_at index, so every list page
sorted all matching demands; this index replaces that one (it serves the same range filters).

Revision ID: demands_0002
Revises: pools_0002
Create Date: 2026-12-01 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'demands_0002'
down_revision = 'pools_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.drop_index('ix_demand_published_at')
        # (On SQLite, marketplace/db.py leaves out NULLS LAST, which it refuses and does anyway in DESC.)
        batch_op.create_index('ix_demand_newest', [sa.text('published_at DESC NULLS LAST'), sa.text('id DESC')], unique=False)


def downgrade():
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.drop_index('ix_demand_newest')
        batch_op.create_index('ix_demand_published_at', ['published_at'], unique=False)
