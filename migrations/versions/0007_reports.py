"""reports

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 18:32:37.266112

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_schedule',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('cadence', sa.String(length=10), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('day_of_month', sa.Integer(), nullable=True),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('require_review', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('next_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("cadence IN ('weekly', 'monthly')", name=op.f('ck_report_schedule_cadence')),
    sa.CheckConstraint('hour >= 0 AND hour <= 23', name=op.f('ck_report_schedule_hour')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_report_schedule_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_report_schedule_company_id_company'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_schedule'))
    )
    op.create_table('report',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('commentary', sa.Text(), nullable=False),
    sa.Column('highlighted_goal_ids', sa.JSON(), nullable=False),
    sa.Column('schedule_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('ready_at', sa.DateTime(), nullable=True),
    sa.Column('ready_by', sa.String(length=254), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_version', sa.Integer(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_rendered_at', sa.DateTime(), nullable=True),
    sa.Column('pdf_pages', sa.Integer(), nullable=False),
    sa.Column('pdf_error', sa.String(length=1000), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("period_kind IN ('month', 'quarter', 'custom')", name=op.f('ck_report_period_kind')),
    sa.CheckConstraint("status IN ('draft', 'ready', 'sent')", name=op.f('ck_report_status')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_report_period_order')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_report_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_report_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['report_schedule.id'],
                            name=op.f('fk_report_schedule_id_report_schedule'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report')),
    sa.UniqueConstraint('agency_id', 'company_id', 'period_start', 'period_end', name='uq_report_period')
    )
    op.create_table('report_delivery',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('schedule_id', sa.Uuid(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=False),
    sa.Column('requested_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f('ck_report_delivery_status')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_report_delivery_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_report_delivery_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'],
                            name=op.f('fk_report_delivery_report_id_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['report_schedule.id'],
                            name=op.f('fk_report_delivery_schedule_id_report_schedule'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_delivery')),
    sa.UniqueConstraint('agency_id', 'schedule_id', 'report_id', name='uq_report_delivery_schedule_report')
    )
    with op.batch_alter_table('report_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_report_delivery_agency_report', ['agency_id', 'report_id'], unique=False)

    op.create_table('share_link',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=True),
    sa.Column('board_from', sa.Date(), nullable=True),
    sa.Column('board_to', sa.Date(), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=False),
    sa.Column('last_viewed_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('report', 'board')", name=op.f('ck_share_link_kind')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_share_link_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_share_link_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'],
                            name=op.f('fk_share_link_report_id_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_share_link_token_hash'))
    )
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.create_index('ix_share_link_agency_company', ['agency_id', 'company_id'], unique=False)



def downgrade():
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.drop_index('ix_share_link_agency_company')

    op.drop_table('share_link')
    with op.batch_alter_table('report_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_report_delivery_agency_report')

    op.drop_table('report_delivery')
    op.drop_table('report')
    op.drop_table('report_schedule')
