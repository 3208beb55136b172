"""Questions on demands; messages on bids; file attachments

Revision ID: comm_0002
Revises: comm_0001
Create Date: 2026-12-01 11:16:52.797213

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'comm_0002'
down_revision = 'comm_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('demand_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=False),
    sa.Column('asker_org_id', sa.Integer(), nullable=False),
    sa.Column('asker_user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status <> 'answered' OR answer <> ''", name=op.f('ck_demand_question_answered_has_answer')),
    sa.CheckConstraint("status IN ('open', 'answered')", name=op.f('ck_demand_question_status_valid')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_demand_question_answered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asker_org_id'], ['organisation.id'], name=op.f('fk_demand_question_asker_org_id_organisation')),
    sa.ForeignKeyConstraint(['asker_user_id'], ['user_account.id'], name=op.f('fk_demand_question_asker_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['demand_id'], ['demand.id'], name=op.f('fk_demand_question_demand_id_demand'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demand_question'))
    )
    with op.batch_alter_table('demand_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demand_question_asker_org_id'), ['asker_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_question_demand_id'), ['demand_id'], unique=False)

    op.create_table('bid_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('sender_org_id', sa.Integer(), nullable=False),
    sa.Column('sender_user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_message_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_org_id'], ['organisation.id'], name=op.f('fk_bid_message_sender_org_id_organisation')),
    sa.ForeignKeyConstraint(['sender_user_id'], ['user_account.id'], name=op.f('fk_bid_message_sender_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_message'))
    )
    with op.batch_alter_table('bid_message', schema=None) as batch_op:
        batch_op.create_index('ix_bid_message_bid_id_id', ['bid_id', 'id'], unique=False)

    op.create_table('bid_thread_read',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('last_read_message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_thread_read_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_bid_thread_read_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'bid_id', name=op.f('pk_bid_thread_read'))
    )
    op.create_table('file_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('bid_id', sa.Integer(), nullable=True),
    sa.Column('demand_id', sa.Integer(), nullable=True),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(CASE WHEN message_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN bid_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN demand_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_file_attachment_one_owner')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_file_attachment_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['demand_id'], ['demand.id'], name=op.f('fk_file_attachment_demand_id_demand'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_file_attachment_file_id_stored_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['bid_message.id'], name=op.f('fk_file_attachment_message_id_bid_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_file_attachment_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_attachment')),
    sa.UniqueConstraint('file_id', name=op.f('uq_file_attachment_file_id'))
    )
    with op.batch_alter_table('file_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_attachment_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_attachment_demand_id'), ['demand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_attachment_message_id'), ['message_id'], unique=False)



def downgrade():
    with op.batch_alter_table('file_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_attachment_message_id'))
        batch_op.drop_index(batch_op.f('ix_file_attachment_demand_id'))
        batch_op.drop_index(batch_op.f('ix_file_attachment_bid_id'))

    op.drop_table('file_attachment')
    op.drop_table('bid_thread_read')
    with op.batch_alter_table('bid_message', schema=None) as batch_op:
        batch_op.drop_index('ix_bid_message_bid_id_id')

    op.drop_table('bid_message')
    with op.batch_alter_table('demand_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_question_demand_id'))
        batch_op.drop_index(batch_op.f('ix_demand_question_asker_org_id'))

    op.drop_table('demand_question')
