"""An index for the idempotency records' clean-up; alert_rule, alert, goal_status_mark,
alert_read, alert_email_choice, alert_email, webhook_endpoint, webhook_delivery: alerts on goals, data and metrics (issue 14), the goal statuses
last seen, who read which alert, e-mail choices and sendings, and the agency's signed webhooks with
their delivery log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:50:00
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # The idempotency clean-up's index (issue 19's soak: each request deletes its credential's
    # records older than 24 h, which read every record of the credential without it).
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_record_agency_credential_created',
                              ['agency_id', 'credential', 'created_at'], unique=False)
    op.create_table('alert_email',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('alert_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_alert_email_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_alert_email_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_email')),
    sa.UniqueConstraint('agency_id', 'user_id', 'key', name='uq_alert_email_user_key')
    )
    op.create_table('alert_email_choice',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('digest_hour', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("mode IN ('off', 'immediate', 'digest')", name=op.f('ck_alert_email_choice_mode')),
    sa.CheckConstraint('digest_hour >= 0 AND digest_hour <= 23', name=op.f('ck_alert_email_choice_digest_hour')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_alert_email_choice_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                            name=op.f('fk_alert_email_choice_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_email_choice')),
    sa.UniqueConstraint('agency_id', 'user_id', 'kind', name='uq_alert_email_choice_user_kind')
    )
    op.create_table('alert_rule',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('visible_to_clients', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('goal_status', 'stale_data', 'threshold', 'spike')", name=op.f('ck_alert_rule_kind')),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name=op.f('ck_alert_rule_severity')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_alert_rule_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_alert_rule_company_id_company'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rule'))
    )
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.create_index('ix_alert_rule_agency_company', ['agency_id', 'company_id'], unique=False)
    add_default_rules()

    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('previous_secret', sa.String(length=200), nullable=False),
    sa.Column('previous_secret_until', sa.DateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=500), nullable=False),
    sa.Column('failing_since', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_webhook_endpoint_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_webhook_endpoint_company_id_company'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint'))
    )
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_endpoint_agency', ['agency_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('rule_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event_key', sa.String(length=300), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('object_type', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.String(length=100), nullable=False),
    sa.Column('seen', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('visible_to_clients', sa.Boolean(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name=op.f('ck_alert_severity')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_alert_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_alert_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rule.id'],
                            name=op.f('fk_alert_rule_id_alert_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('agency_id', 'rule_id', 'event_key', name='uq_alert_rule_event')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_agency_company_created',
                              ['agency_id', 'company_id', 'created_at'], unique=False)

    op.create_table('goal_status_mark',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('goal_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_goal_status_mark_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'],
                            name=op.f('fk_goal_status_mark_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'],
                            name=op.f('fk_goal_status_mark_goal_id_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_status_mark')),
    sa.UniqueConstraint('agency_id', 'goal_id', name='uq_goal_status_mark_goal')
    )
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('endpoint_id', sa.Uuid(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_latency_ms', sa.Float(), nullable=True),
    sa.Column('last_response', sa.Text(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f('ck_webhook_delivery_status')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_webhook_delivery_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'],
                            name=op.f('fk_webhook_delivery_endpoint_id_webhook_endpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('agency_id', 'endpoint_id', 'message_id', name='uq_webhook_delivery_endpoint_message')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_agency_endpoint_created',
                              ['agency_id', 'endpoint_id', 'created_at'], unique=False)

    op.create_table('alert_read',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'],
                            name=op.f('fk_alert_read_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_read_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_alert_read_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_read')),
    sa.UniqueConstraint('agency_id', 'user_id', 'alert_id', name='uq_alert_read_user_alert')
    )


# The rules every company starts with (backend/services/alert_rules.py default_rules, written out:
# a migration does not import the app, whose code moves on).
DEFAULT_RULES = (
    ("goal_status", "Goal status changed", {"statuses": ["achieved", "missed", "at_risk", "off_track"],
                                            "goal_id": None}),
    ("stale_data", "Channel gone quiet", {"days": 3}),
)


def add_default_rules():
    """Existing companies get the default goal-status and stale-data rules (new ones get them when
    they are made)."""
    bind = op.get_bind()
    companies = bind.execute(sa.text("SELECT id, agency_id FROM company")).all()
    rule = sa.table('alert_rule', sa.column('id', sa.Uuid()), sa.column('agency_id', sa.Uuid()),
                    sa.column('company_id', sa.Uuid()), sa.column('kind', sa.String()),
                    sa.column('name', sa.String()), sa.column('params', sa.JSON()),
                    sa.column('severity', sa.String()), sa.column('active', sa.Boolean()),
                    sa.column('visible_to_clients', sa.Boolean()), sa.column('created_by', sa.String()),
                    sa.column('created_at', sa.DateTime()), sa.column('updated_at', sa.DateTime()),
                    sa.column('version', sa.Integer()))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [{"id": uuid.uuid4(), "agency_id": _uuid(agency_id), "company_id": _uuid(company_id), "kind": kind,
             "name": name, "params": params, "severity": "warning", "active": True, "visible_to_clients": False,
             "created_by": "migration 0008", "created_at": now, "updated_at": now, "version": 1}
            for company_id, agency_id in companies for kind, name, params in DEFAULT_RULES]
    if rows:
        op.bulk_insert(rule, rows)


def _uuid(value):
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def downgrade():
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_record_agency_credential_created')
    op.drop_table('alert_read')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_agency_endpoint_created')

    op.drop_table('webhook_delivery')
    op.drop_table('goal_status_mark')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_agency_company_created')

    op.drop_table('alert')
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_endpoint_agency')

    op.drop_table('webhook_endpoint')
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_rule_agency_company')

    op.drop_table('alert_rule')
    op.drop_table('alert_email_choice')
    op.drop_table('alert_email')
