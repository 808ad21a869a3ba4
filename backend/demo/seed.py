"""Seeding the demo through the services: one agency, its staff and a client viewer, and three client companies

with strategies, channels, campaigns, sub-goals and 18 months of daily metrics.

The companies are described in ``backend/demo/content.py``. Everything here is deterministic: the
metrics come from seeded random streams, one per channel, and every date is counted from the
*anchor* — the day the demo was first seeded, found again later from the first stored metric
date — so running ``seed-demo`` again only adds the days since the last run. Goal targets are
designed against the generated series so that, on the day of seeding, the goals land in every
status the progress engine knows; a later run moves the goals nobody has edited to its day.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEntry, Campaign, Channel, Company, Goal, MetricPoint, StrategyRevision, User
from ..services.accounts import create_agency, create_user
from ..services.campaigns import create_campaign
from ..services.channels import channel_keys, create_channel
from ..services.companies import create_company
from ..services.goals import create_goal, goal_fields, update_goal
from ..services.metrics import push_points
from ..services.progress import company_today
from ..services.strategy import get_strategy, update_strategy
from ..tenancy import Principal, acting_as, cross_tenant
from .alerts import seed_alerts
from .content import COMPANIES, HISTORY_DAYS, CompanySpec
from .generator import (
    CampaignDates,
    Series,
    campaign_dates,
    crisis_dates,
    design_goal,
    generate_company,
    goal_base,
    kpi_daily,
)
from .listening import apply_records, plan_mentions, seed_listening
from .reports import seed_reports

DEMO_PASSWORD = "reachboard-demo"
OWNER_EMAIL = "owner@demo.reachboard.test"
DEMO_USERS = [
    ("owner", OWNER_EMAIL),
    ("admin", "admin@demo.reachboard.test"),
    ("member", "member@demo.reachboard.test"),
    ("viewer", "client@northwind.reachboard.test"),
]
DEMO_COMPANIES = [(c.name, c.industry, c.timezone) for c in COMPANIES]
BATCH = 10_000
SEED_ACTOR = "seed-demo"  # the principal's label, so the audit trail tells the demo's changes apart


# ============================================================================================
# Seeding
# ============================================================================================
def seed_demo(progress: Callable[[str], None] = print, *, today: dt.date | None = None,
              metrics: bool = True) -> dict:
    """Create or refresh the demo agency. Idempotent: nothing is duplicated, and what people
    changed is left alone; metrics are upserted up to ``today`` (default: each company's today in
    its time zone) and untouched goals moved to it. ``metrics=False`` skips the metric points."""
    with cross_tenant("seed-demo: find the demo agency"):
        owner = db.session.scalars(select(User).where(User.email == OWNER_EMAIL)).first()
        agency_id = owner.agency_id if owner else None
    if agency_id is None:
        agency, _ = create_agency("Demo Agency", OWNER_EMAIL, DEMO_PASSWORD)
        agency_id = agency.id
        progress("Created the demo agency")
    with acting_as(Principal.system(agency_id, SEED_ACTOR)):
        companies = {c.name: c for c in db.session.scalars(select(Company))}
        for name, industry, tz in DEMO_COMPANIES:
            if name not in companies:
                companies[name] = create_company({"name": name, "industry": industry, "timezone": tz})
                progress(f"Created company {name}")
        existing = {u.email for u in db.session.scalars(select(User))}
        for role, email in DEMO_USERS[1:]:
            if email in existing:
                continue
            company_ids = [companies["Northwind Coffee"].id] if role == "viewer" else []
            create_user({"email": email, "password": DEMO_PASSWORD, "role": role, "company_ids": company_ids})
            progress(f"Created {role} {email}")
        staff = {role: db.session.scalars(select(User).where(User.email == email)).one()
                 for role, email in DEMO_USERS if role != "viewer"}
        for spec in COMPANIES:
            _seed_company(spec, companies[spec.name], staff, today, metrics, progress)
        reports = seed_reports([companies[spec.name] for spec in COMPANIES], progress)
        if metrics:  # the alerts are about the figures: goals, a quiet channel, the crisis week
            seed_alerts([(companies[spec.name], crisis_dates(spec, find_anchor(companies[spec.name].id,
                                                                               company_today(companies[spec.name]))))
                         for spec in COMPANIES], progress)
    return {"password": DEMO_PASSWORD, "users": DEMO_USERS, "agency_id": agency_id,
            "share_path": reports["share_path"], "reports": reports["reports"]}


def find_anchor(company_id, today: dt.date) -> dt.date:
    """The day the company's demo was first seeded: its first metric date + the history
    (today when it has no metrics yet)."""
    first = db.session.scalar(select(func.min(MetricPoint.date)).where(MetricPoint.company_id == company_id))
    return today if first is None else first + dt.timedelta(days=HISTORY_DAYS)


def _seed_company(spec: CompanySpec, company: Company, staff: dict, today: dt.date | None,
                  metrics: bool, progress) -> None:
    today = today or company_today(company)
    anchor = find_anchor(company.id, today)
    series = generate_company(spec, anchor, max(today, anchor))
    # The mentions up to yesterday as records (backend/demo/listening.py); the series then holds
    # what they roll up to, so the goals are designed on the numbers the dashboard will show.
    mentions = plan_mentions(spec, series, anchor, today - dt.timedelta(days=1),
                             dt.datetime.now(dt.UTC)) if metrics else []
    apply_records(series, mentions)
    campaigns = campaign_dates(spec, anchor)
    _ensure_channels(spec, company.id, progress)
    _ensure_strategy(spec, company.id, anchor, staff, progress)
    _ensure_campaigns(spec, company.id, campaigns, progress)
    _ensure_goals(spec, company.id, series, anchor, today, campaigns, progress)
    if metrics:
        _push_metrics(spec, company.id, series, progress)
        seed_listening(spec, company.id, mentions, progress)


def _ensure_channels(spec: CompanySpec, company_id, progress) -> None:
    have = channel_keys(company_id)
    added = []
    for ch in spec.channels:
        if ch.key not in have:
            create_channel(company_id, {
                "key": ch.key, "platform": ch.platform, "name": ch.name, "handle": ch.handle,
                "url": ch.url, "purpose": ch.purpose, "followers_target": ch.followers_target})
            added.append(ch.key)
    if added:
        progress(f"{spec.name}: added channels {', '.join(added)}")


def _ensure_strategy(spec: CompanySpec, company_id, anchor: dt.date, staff: dict, progress) -> None:
    """Save the strategy's versions, by the demo staff, dated over the 18 months (only once:
    a strategy that has been saved is left alone)."""
    if get_strategy(company_id).revision > 0:
        return
    dates: list[dt.datetime] = []
    for days, role, fields in spec.strategy_versions:
        data = {k: v for k, v in fields.items() if k != "launch_plan"}
        plan = fields.get("launch_plan")
        if plan:
            data["launch_plan"] = {"followers_target": plan["followers_target"],
                                   "target_date": (anchor + dt.timedelta(days=plan["target_days"])).isoformat()}
        user = staff[role]
        with acting_as(Principal.for_user(user, role)):
            update_strategy(company_id, data)
        dates.append(dt.datetime.combine(anchor + dt.timedelta(days=days), dt.time(9, 30 + len(dates) * 7)))
    # The history shows when each version was written, not when the demo was seeded.
    revisions = db.session.scalars(select(StrategyRevision).where(StrategyRevision.company_id == company_id)
                                   .order_by(StrategyRevision.revision)).all()
    for revision, when in zip(revisions, dates, strict=True):
        revision.created_at = when
    strategy = get_strategy(company_id)
    strategy.updated_at = dates[-1]
    db.session.commit()
    progress(f"{spec.name}: saved the strategy in {len(dates)} revisions")


def _ensure_campaigns(spec: CompanySpec, company_id, campaigns: list[CampaignDates], progress) -> None:
    have = set(db.session.scalars(select(Campaign.name).where(Campaign.company_id == company_id)))
    for c in campaigns:
        if c.spec.name not in have:
            create_campaign(company_id, {"name": c.spec.name, "start_date": c.start, "end_date": c.end,
                                         "channels": list(c.channels), "budget": c.spec.budget,
                                         "notes": c.spec.notes})
            progress(f"{spec.name}: added campaign {c.spec.name} ({c.start} – {c.end})")


def _ensure_goals(spec: CompanySpec, company_id, series: Series, anchor: dt.date, today: dt.date,
                  campaigns: list[CampaignDates], progress) -> None:
    """Add the missing goals; re-design the demo's goals that no person has changed (the audit
    trail shows only seed-demo) to today, so the demo keeps showing every status as time passes."""
    goals = {g.title: g for g in db.session.scalars(select(Goal).where(Goal.company_id == company_id))}
    touched = set(db.session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.company_id == company_id, AuditEntry.object_type == "goal", AuditEntry.actor != SEED_ACTOR)))
    crisis_start = crisis_dates(spec, anchor)[0]
    added = refreshed = 0
    for g in spec.goals:
        existing = goals.get(g.title)
        if existing is not None and str(existing.id) in touched:
            continue
        base = goal_base(g, today, anchor, campaigns, crisis_start)
        try:
            fields = design_goal(g, kpi_daily(series, g.metric, g.channel), today, base).fields()
        except ValueError as err:  # the data of this day does not allow it: keep what is there
            progress(f"{spec.name}: left goal {g.title!r} as it is ({err})")
            continue
        if existing is None:
            create_goal(company_id, fields)
            added += 1
        elif goal_fields(existing) != fields:
            update_goal(company_id, existing.id, fields)
            refreshed += 1
    if added:
        progress(f"{spec.name}: added {added} sub-goals")
    if refreshed:
        progress(f"{spec.name}: moved {refreshed} sub-goals to today")


def _push_metrics(spec: CompanySpec, company_id, series: Series, progress) -> None:
    """Upsert the series through the metrics service in batches of 10,000 points; only from each
    series' last stored day on (earlier days cannot have changed: the generator only adds days)."""
    last = {(key, metric): day for key, metric, day in db.session.execute(
        select(Channel.key, MetricPoint.metric, func.max(MetricPoint.date))
        .join(Channel, Channel.id == MetricPoint.channel_id)
        .where(MetricPoint.company_id == company_id)
        .group_by(Channel.key, MetricPoint.metric))}
    batch: list[dict] = []
    sent = created = 0
    total = sum(1 for k, pts in series.items() for d, _ in pts if d >= last.get(k, d))

    def flush():
        nonlocal batch, sent, created
        result = push_points(company_id, batch)
        sent += len(batch)
        created += result["created"]
        progress(f"{spec.name}: metrics {sent:,}/{total:,} points")
        batch = []

    for (key, metric), points in series.items():
        since = last.get((key, metric))
        for day, value in points:
            if since is None or day >= since:
                batch.append({"channel": key, "metric": metric, "date": day.isoformat(), "value": value})
                if len(batch) >= BATCH:
                    flush()
    if batch:
        flush()
    progress(f"{spec.name}: {created:,} new metric points" if created else f"{spec.name}: metrics up to date")
