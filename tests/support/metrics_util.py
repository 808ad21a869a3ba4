"""Helpers shared by the metrics tests: channels made directly through the model, pushes."""
from __future__ import annotations

import json

from sqlalchemy import func, select


def add_channels(app, tenant, keys=("fb", "ig"), company=None):
    from backend.extensions import db
    from backend.models import Channel
    from backend.tenancy import Principal, acting_as

    company_id = (company or tenant.company_a).id
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        for key in keys:
            db.session.add(Channel(company_id=company_id, key=key, platform="facebook", name=key))
        db.session.commit()


def metrics_url(company) -> str:
    return f"/api/v1/companies/{company.id}/metrics"


def push(client, company, points, **headers):
    return client.post(metrics_url(company), data=json.dumps({"points": points}),
                       headers={"Content-Type": "application/json", **headers})


def with_points(app, client, tenant, points):
    """``tenant`` with channels fb and ig on company A and ``points`` pushed there through the API
    (for a ``data`` fixture)."""
    add_channels(app, tenant)
    r = push(client, tenant.company_a, points, Authorization=f"Bearer {tenant.keys['write']}")
    assert r.status_code == 200, r.json
    return tenant


def stored(app, tenant, company=None) -> dict:
    """{(channel key, metric, iso date): value} of the company's stored points."""
    from backend.extensions import db
    from backend.models import Channel, MetricPoint
    from backend.tenancy import Principal, acting_as

    company_id = (company or tenant.company_a).id
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        rows = db.session.execute(
            select(Channel.key, MetricPoint.metric, MetricPoint.date, MetricPoint.value)
            .join(Channel, Channel.id == MetricPoint.channel_id)
            .where(MetricPoint.company_id == company_id)).all()
    return {(c, m, d.isoformat()): v for c, m, d, v in rows}


def count_points(app, tenant) -> int:
    from backend.extensions import db
    from backend.models import MetricPoint
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        return db.session.scalar(select(func.count()).select_from(MetricPoint))


def pt(channel="fb", metric="followers", date="2024-01-01", value=1.0):
    return {"channel": channel, "metric": metric, "date": date, "value": value}
