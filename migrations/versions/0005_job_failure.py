"""job_failure: jobs that failed after their last retry (backend/jobs/), agency_id null for
system jobs (database upkeep)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_failure',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=True),
    sa.Column('job', sa.String(length=100), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=False),
    sa.Column('traceback', sa.Text(), nullable=False),
    sa.Column('failed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_job_failure_agency_id_agency'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failure'))
    )
    with op.batch_alter_table('job_failure', schema=None) as batch_op:
        batch_op.create_index('ix_job_failure_agency_failed', ['agency_id', 'failed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_job_failure_agency_failed')
    op.drop_table('job_failure')
