"""user.auth_epoch (revocable sessions); idempotency_record.holder and lease_until (a running
marker left by a killed worker no longer blocks retries for minutes)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_epoch', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('holder')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('auth_epoch')
