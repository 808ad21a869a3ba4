"""Shared by the admin and privilege tests: a world to act in, forms, and what a request left behind."""
from __future__ import annotations

import datetime as dt
import hashlib
import io

from conftest import PASSWORD
from sqlalchemy import select

TODAY = dt.date.today()


def seed(app, tenant) -> dict:
    from backend.services import campaigns, channels, goals
    from backend.services.accounts import create_user
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        cid = tenant.company_a.id
        channels.create_channel(cid, {"key": "facebook", "platform": "facebook", "name": "Facebook page"})
        channels.create_channel(cid, {"key": "spare", "platform": "blog"})
        goal = goals.create_goal(cid, {"title": "Reach 2,000 followers", "category": "customer_relations",
                                       "kpi": {"metric": "followers", "channel": "facebook", "aggregation": "latest",
                                               "target": 2000, "start_date": TODAY - dt.timedelta(days=30),
                                               "deadline": TODAY + dt.timedelta(days=300)}})
        campaign = campaigns.create_campaign(cid, {"name": "Spring", "start_date": TODAY, "end_date": TODAY,
                                                   "channels": ["facebook"]})
        spare, _ = create_user({"email": f"spare@{tenant.name.split()[0].lower()}.test", "password": PASSWORD,
                                "role": "member"})
        from backend.services.share_links import create_share_link

        link, _token = create_share_link(cid, kind="board", board_from=TODAY - dt.timedelta(days=30), board_to=TODAY)
        from backend.services.report_schedules import create_schedule

        schedule = create_schedule(cid, {"cadence": "weekly", "weekday": 0, "recipients": ["client@example.com"]})
        from backend.services.reports import create_report

        report, _made = create_report(cid, period_kind="month")  # last month's, a draft
        from backend.extensions import db
        from backend.models import WebhookDelivery
        from backend.services.webhooks import create_endpoint, new_message_id

        webhook, _secret = create_endpoint({"url": "http://127.0.0.1:9/hook", "events": ["report.sent"]})
        delivery = WebhookDelivery(endpoint_id=webhook.id, event="report.sent", message_id=new_message_id(),
                                   payload={"type": "report.sent", "data": {}}, status="failed")
        db.session.add(delivery)
        db.session.commit()
        from backend.services.alert_rules import list_rules

        stale_rule = next(r for r in list_rules(cid) if r.kind == "stale_data")
        return {"company_id": cid, "goal_id": goal.id, "campaign_id": campaign.id, "channel_key": "spare",
                "user_id": spare.id, "key_id": tenant.key_ids["company_a:write"], "link_id": link.id,
                "schedule_id": schedule.id, "report_id": report.id, "webhook_id": webhook.id,
                "delivery_id": delivery.id, "rule_id": stale_rule.id}


def csv_file():
    return (io.BytesIO(f"date,channel,metric,value\n{TODAY.isoformat()},facebook,followers,1500\n".encode()), "m.csv")


def goal_form(**over):
    form = {"title": "More reach", "category": "search_visibility", "kpi.metric": "reach", "kpi.channel": "all",
            "kpi.aggregation": "total", "kpi.target": "50000", "kpi.start_date": TODAY.isoformat(),
            "kpi.deadline": (TODAY + dt.timedelta(days=90)).isoformat()}
    form.update(over)
    return form


def fingerprint(app) -> dict[str, str]:
    """A digest of every row of every table (read with Core: below the tenant scoping)."""
    from backend.extensions import db

    out = {}
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                rows = sorted(repr(tuple(r)) for r in conn.execute(table.select()))
                out[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def audit_actions(app, agency_id) -> list[str]:
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the audit trail"):
        return list(db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.agency_id == agency_id).order_by(AuditEntry.created_at)))

