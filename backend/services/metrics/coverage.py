"""Which days each channel reported any figure on: a report's "data freshness" (channels with
gaps in its period)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from ...extensions import db
from ...models import Channel, MetricPoint
from ...tenancy import current_principal
from ..companies import get_company
from .statements import Scope, as_date


def reported_days(company_id: uuid.UUID | str, date_from: dt.date, date_to: dt.date) -> dict[str, set[dt.date]]:
    """Channel key -> the days in [date_from, date_to] with at least one stored point (any metric).
    Channels without a point in the range are left out."""
    current_principal().require("read")
    company = get_company(company_id)
    scope = Scope(company_id=company.id)
    rows = db.session.execute(
        select(Channel.key, MetricPoint.date)
        .join(Channel, Channel.id == MetricPoint.channel_id)
        .where(*scope.points(), MetricPoint.date >= date_from, MetricPoint.date <= date_to)
        .distinct())
    out: dict[str, set[dt.date]] = {}
    for key, day in rows:
        out.setdefault(key, set()).add(as_date(day))
    return out
