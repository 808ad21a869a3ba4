"""Helpers of the roll-up, retention, report and portfolio tests (part C): mention records
inserted through the models (as the mentions service stores them), channels, stored points."""
from __future__ import annotations

import datetime as dt
import itertools
import uuid
from contextlib import contextmanager

from sqlalchemy import select

_serial = itertools.count(1)


@contextmanager
def as_system(app, tenant):
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        yield


def add_channels(app, tenant, keys=("fb", "ig"), company=None) -> dict[str, uuid.UUID]:
    """Channels on the company (A by default): {key: id}."""
    from backend.extensions import db
    from backend.models import Channel

    company_id = (company or tenant.company_a).id
    with as_system(app, tenant):
        rows = [Channel(company_id=company_id, key=key, platform="facebook", name=key.upper()) for key in keys]
        db.session.add_all(rows)
        db.session.commit()
        return {c.key: c.id for c in rows}


def new_mention(company_id, channel_id, published_at: dt.datetime, *, sentiment="neutral",
                answered_at: dt.datetime | None = None, text="A mention", handle="", name="", followers=None,
                day: dt.date | None = None, country=None, source="test"):
    """A Mention row (not added): ``day`` is the published day (the companies here are in UTC)."""
    from backend.models import Mention

    return Mention(company_id=company_id, channel_id=channel_id, source=source,
                   external_id=f"m-{next(_serial)}", published_at=published_at, utc_offset_minutes=0,
                   day=day or published_at.date(), text=text, author_handle=handle, author_name=name,
                   author_followers=followers, sentiment=sentiment, answered_at=answered_at, country=country)


def insert(app, tenant, mentions, company=None, refresh=True) -> list[int]:
    """Add the mentions and (by default) refresh their channel-days, as the push does: one
    transaction. Returns their seqs."""
    from backend.extensions import db
    from backend.services.listening import rollup

    company_id = (company or tenant.company_a).id
    with as_system(app, tenant):
        db.session.add_all(mentions)
        db.session.flush()
        if refresh:
            rollup.refresh(company_id, {(m.channel_id, m.day) for m in mentions})
        db.session.commit()
        return [m.seq for m in mentions]


def stored(app, tenant, company=None, metrics=None) -> dict:
    """{(channel key, metric, iso date): value} of the company's stored points."""
    from backend.extensions import db
    from backend.models import Channel, MetricPoint

    company_id = (company or tenant.company_a).id
    with as_system(app, tenant):
        stmt = (select(Channel.key, MetricPoint.metric, MetricPoint.date, MetricPoint.value)
                .join(Channel, Channel.id == MetricPoint.channel_id).where(MetricPoint.company_id == company_id))
        if metrics:
            stmt = stmt.where(MetricPoint.metric.in_(metrics))
        return {(k, m, d.isoformat()): v for k, m, d, v in db.session.execute(stmt)}


def mention_count(app, tenant) -> int:
    from sqlalchemy import func

    from backend.extensions import db
    from backend.models import Mention

    with as_system(app, tenant):
        return int(db.session.scalar(select(func.count()).select_from(Mention)) or 0)
