"""The portfolio: one row per company in reach, from a few grouped statements."""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import Company
from ...tenancy import current_principal
from .. import catalog
from .assembly import carried_sum, growth
from .pairing import paired_key, paired_sums, ratio_inputs
from .statements import Coverages, Scope, flow_sums, gauge_lasts, last_dates


def portfolio(date_from: dt.date, date_to: dt.date, among: Collection[uuid.UUID] | None = None
              ) -> list[dict[str, Any]]:
    """One row per company in reach for the portfolio table, from a few grouped queries:
    ``company_id, name, followers`` (all channels, latest known by ``date_to``),
    ``followers_change`` (follower_growth over the period), ``reach``, ``engagement_rate``,
    ``last_data_date`` and ``followers_spark`` (weekly [(week start, followers)]). ``among``: only
    these companies (of those in reach)."""
    p = current_principal()
    p.require("read")
    stmt = select(Company.id, Company.name).order_by(Company.name)
    if among is not None:
        stmt = stmt.where(Company.id.in_(list(among)))
    companies = db.session.execute(stmt).all()
    scope = Scope(among=among)
    coverage: Coverages = {}
    rate = ["engagement_rate"]
    sums = flow_sums(scope, {"reach"} | ratio_inputs(rate), date_from, date_to, "period", False, by_company=True,
                     coverage=coverage)
    # The rate from the days where engagements and reach were both reported (as the company page).
    (paired,) = paired_sums(scope, rate, [(date_from, date_to)], "period", False, True, [sums], [coverage])
    last_seen = last_dates(scope)
    lasts, seeds = gauge_lasts(scope, {"followers"}, date_from, date_to, "week", by_company=True)
    channels_of: dict[uuid.UUID | None, set[uuid.UUID | None]] = defaultdict(set)
    for grp, ch, _ in list(lasts) + list(seeds):
        channels_of[grp].add(ch)
    out = []
    for cid, name in companies:
        chans = sorted(channels_of.get(cid, ()), key=str)
        per_channel = [(lasts.get((cid, c, "followers"), []), seeds.get((cid, c, "followers"))) for c in chans]
        spark = carried_sum(per_channel)
        followers = None
        if spark:
            followers = spark[max(spark)]
        elif any(s is not None for _, s in per_channel):
            followers = sum(s for _, s in per_channel if s is not None)
        change = None
        if any(rows for rows, _ in per_channel):
            change = sum(sum(growth(rows, seed).values()) for rows, seed in per_channel)
        elif followers is not None:
            change = 0.0
        reach = sums.get((cid, None, "reach"), {}).get(date_from)
        rate_inputs = {m: paired.get((cid, None, paired_key("engagement_rate", m)), {}).get(date_from)
                       for m in ("engagements", "reach")}
        last = last_seen.get(cid)
        out.append({
            "company_id": cid,
            "name": name,
            "followers": followers,
            "followers_change": change,
            "reach": reach,
            "engagement_rate": catalog.derive("engagement_rate", rate_inputs),
            "last_data_date": last,
            "followers_spark": sorted(spark.items()),
        })
    return out
