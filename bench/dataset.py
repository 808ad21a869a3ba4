"""The benchmark's tenants and data.

Agencies, companies, channels and the API key are made through the services (as the CLI does,
under ``acting_as`` / ``cross_tenant``); the bulk of the metric points goes in through the driver,
since loading 2 million rows point by point would take longer than the whole benchmark.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from .config import MAIN_CHANNELS, Sizes

# Per metric: (base, per-channel step, multiplier of the day, modulus, scale). Values are
# deterministic, plausible in size and ≥ 0; followers grow over time.
_SHAPES = {
    "followers": (1_000, 900, 0, 1, 1.0),
    "reach": (300, 45, 37, 700, 1.0),
    "impressions": (500, 80, 53, 1_100, 1.0),
    "engagements": (12, 3, 13, 70, 1.0),
    "likes": (8, 2, 11, 40, 1.0),
    "comments": (1, 1, 7, 12, 1.0),
    "shares": (1, 1, 5, 9, 1.0),
    "clicks": (4, 1, 17, 30, 1.0),
    "mentions": (3, 1, 19, 15, 1.0),
    "mentions_positive": (1, 1, 23, 8, 1.0),
    "mentions_negative": (0, 0, 29, 3, 1.0),
    "spend": (2, 1, 31, 40, 1.25),
}


def value_of(metric: str, channel: int, day: int) -> float:
    """The value of ``metric`` on channel number ``channel`` on day number ``day`` (0 = first)."""
    base, step, mult, mod, scale = _SHAPES.get(metric, (5, 1, 41, 25, 1.0))
    if metric == "followers":
        return float(base + step * channel + day * (2 + channel % 3) + (day * 7_919 + channel) % 13)
    return (base + step * channel + (day * mult + channel * 11) % mod) * scale


def last_data_day() -> dt.date:
    """Data end yesterday, as a daily export would."""
    return dt.date.today() - dt.timedelta(days=1)


def measured_period(last_day: dt.date, weeks: int = 52) -> tuple[dt.date, dt.date]:
    """One year of whole ISO weeks ending on the last Sunday with data: Monday .. Sunday."""
    to = last_day - dt.timedelta(days=(last_day.weekday() + 1) % 7)
    return to - dt.timedelta(days=7 * weeks - 1), to


@dataclass
class MainTenant:
    agency_id: uuid.UUID
    user_id: uuid.UUID
    user_email: str
    company_id: uuid.UUID
    channel_ids: dict[str, uuid.UUID]
    api_key: str
    scratch_company_id: uuid.UUID
    scratch_channel_ids: dict[str, uuid.UUID]
    other_companies: list[tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]] = field(default_factory=list)


def _add_company(name: str, channels) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    from backend.services.channels import create_channel
    from backend.services.companies import create_company

    company = create_company({"name": name})
    cid = company.id
    ids = {}
    for key, platform in channels:
        ids[key] = create_channel(cid, {"key": key, "platform": platform}).id
    return cid, ids


def build_main(app, sizes: Sizes) -> MainTenant:
    """The measured agency: its owner, the company with ``sizes.channels`` channels, a company-
    restricted write key, and a scratch company (same channels) for the raw-insert baseline."""
    from backend.services.accounts import create_agency
    from backend.services.api_keys import create_key
    from backend.tenancy import Principal, acting_as

    channels = MAIN_CHANNELS[: sizes.channels]
    with app.app_context():
        email = "owner@bench.reachboard.test"
        agency, owner = create_agency("Bench Agency", email, None)
        agency_id = agency.id
        with acting_as(Principal.system(agency_id, "bench")):
            user_id = owner.id
            cid, ids = _add_company("Bench Company", channels)
            scid, sids = _add_company("Bench scratch (raw insert baseline)", channels)
            _, plaintext = create_key({"name": "bench", "scopes": ["write"], "company_id": cid})
    return MainTenant(agency_id, user_id, email, cid, ids, plaintext, scid, sids)


def add_goals(app, main: MainTenant, sizes: Sizes, last_day: dt.date) -> int:
    """Sub-goals of the measured company, so that the dashboard's goal bars and goal path read
    real progress: levels (latest) and totals, all channels and single channels, started at
    different days. Only goals on metrics and channels the data has."""
    from backend.services.goals import create_goal
    from backend.tenancy import Principal, acting_as

    keys = [k for k, _ in MAIN_CHANNELS[: sizes.channels]]
    wanted = [
        ("Followers 200k", {"metric": "followers", "aggregation": "latest", "target": 200_000}, {"followers"}),
        (f"{keys[0]} followers", {"metric": "followers", "channel": keys[0], "aggregation": "latest",
                                  "target": 9_000}, {"followers"}),
        ("Reach this year", {"metric": "reach", "aggregation": "total", "target": 3_000_000}, {"reach"}),
        ("Engagement rate", {"metric": "engagement_rate", "aggregation": "latest", "target": 0.2},
         {"engagements", "reach"}),
        ("Mentions", {"metric": "mentions", "aggregation": "total", "target": 20_000}, {"mentions"}),
        (f"{keys[-1]} reach", {"metric": "reach", "channel": keys[-1], "aggregation": "total",
                               "target": 300_000}, {"reach"}),
    ]
    made = 0
    with app.app_context(), acting_as(Principal.system(main.agency_id, "bench")):
        for title, kpi, needs in wanted:
            if not needs <= set(sizes.metrics):
                continue
            start = last_day - dt.timedelta(days=120 + 30 * made)
            kpi = {**kpi, "start_date": start.isoformat(), "deadline": (last_day + dt.timedelta(days=200)).isoformat()}
            create_goal(main.company_id, {"title": title, "kpi": kpi})
            made += 1
    return made


def build_others(app, sizes: Sizes, main: MainTenant, progress) -> None:
    """``sizes.others`` companies spread over ``sizes.other_agencies`` agencies (the first is the
    measured agency itself), each with ``sizes.other_channels`` channels and a strategy.

    They are inserted in bulk through the ORM (one executemany per table, explicitly across
    tenants): a thousand service calls, each with its own audit entry and commit, would take
    longer than the rest of the benchmark."""
    from sqlalchemy import insert

    from backend.extensions import db
    from backend.models import Agency, Channel, Company, Strategy, new_id
    from backend.tenancy import cross_tenant

    channels = MAIN_CHANNELS[: sizes.other_channels]
    agencies = [main.agency_id] + [new_id() for _ in range(1, sizes.other_agencies)]
    companies, strategies, channel_rows = [], [], []
    for i in range(sizes.others):
        agency_id, company_id = agencies[i % len(agencies)], new_id()
        companies.append({"id": company_id, "agency_id": agency_id, "name": f"Other Company {i:04d}",
                          "industry": "Benchmarks"})
        strategies.append({"agency_id": agency_id, "company_id": company_id})
        ids = []
        for key, platform in channels:
            ids.append(new_id())
            channel_rows.append({"id": ids[-1], "agency_id": agency_id, "company_id": company_id,
                                 "key": key, "platform": platform, "name": key})
        main.other_companies.append((agency_id, company_id, ids))
    # Rows sorted like the indexes that lead with the tenant: the bulk load then mostly appends.
    main.other_companies.sort(key=lambda t: (t[0].hex, t[1].hex))
    with app.app_context(), cross_tenant("benchmark set-up: companies of many agencies"):
        db.session.execute(insert(Agency), [{"id": a, "name": f"Other Agency {n:03d}"}
                                            for n, a in enumerate(agencies) if n])
        db.session.execute(insert(Company), companies)
        db.session.execute(insert(Strategy), strategies)
        db.session.execute(insert(Channel), channel_rows)
        db.session.commit()
    progress.say(f"  {len(agencies) - 1} agencies, {len(companies):,} companies, {len(channel_rows):,} channels")


def main_points(sizes: Sizes, last_day: dt.date) -> list[tuple[int, str, str, dt.date, float]]:
    """The measured company's points: (channel number, channel key, metric, date, value),
    ordered channel → metric → date like a backfill."""
    channels = MAIN_CHANNELS[: sizes.channels]
    first = last_day - dt.timedelta(days=sizes.days - 1)
    dates = [first + dt.timedelta(days=d) for d in range(sizes.days)]
    out = []
    for c, (key, _) in enumerate(channels):
        for metric in sizes.metrics:
            for d, day in enumerate(dates):
                out.append((c, key, metric, day, value_of(metric, c, d)))
    return out


def push_bodies(points, batch: int) -> list[tuple[int, bytes]]:
    """JSON request bodies of ``batch`` points each (encoded before any clock starts)."""
    import json

    bodies = []
    for i in range(0, len(points), batch):
        chunk = points[i:i + batch]
        payload = {"points": [{"channel": key, "metric": m, "date": day.isoformat(), "value": v}
                              for _, key, m, day, v in chunk]}
        bodies.append((len(chunk), json.dumps(payload, separators=(",", ":")).encode()))
    return bodies


def raw_rows(db, agency_id, company_id, channel_ids: dict[str, uuid.UUID], points) -> list[tuple]:
    """The same points as metric_point rows in the driver's parameter forms."""
    a, c = db.id(agency_id), db.id(company_id)
    ch = {k: db.id(v) for k, v in channel_ids.items()}
    now = db.timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    days: dict[dt.date, object] = {}
    rows = []
    for _, key, metric, day, value in points:
        d = days.get(day)
        if d is None:
            d = days[day] = db.day(day)
        rows.append((a, c, ch[key], metric, d, value, now))
    return rows


def load_other_points(db, conn, sizes: Sizes, main: MainTenant, last_day: dt.date) -> int:
    """The other companies' points (``sizes.other_days`` days up to ``last_day``), bulk-loaded."""
    channels = [(a, c, ch) for a, c, ids in main.other_companies for ch in sorted(ids, key=lambda u: u.hex)]
    first = last_day - dt.timedelta(days=sizes.other_days - 1)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return db.load_others(conn, channels, list(sizes.other_metrics), first, sizes.other_days, now)
