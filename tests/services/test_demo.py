"""The demo (`flask seed-demo`): the shapes of the generated metrics, goals designed into every
status, and seeding that is complete, idempotent and only adds the days since the last run."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backend.demo import DEMO_USERS, seed_demo
from backend.demo.content import COMPANIES, FJORD, HISTORY_DAYS, NORTHWIND, VISTULA
from backend.demo.generator import (
    STORED_METRICS,
    campaign_dates,
    crisis_dates,
    design_goal,
    generate_channel,
    generate_company,
    goal_base,
    kpi_daily,
    origin_of,
)
from backend.services.progress import STATUSES, compute_progress

ANCHOR = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def generated():
    return {c.name: generate_company(c, ANCHOR, ANCHOR) for c in COMPANIES}


def values(series, channel, metric):
    return dict(series[(channel, metric)])


def mean_over(points: dict, days) -> float:
    return statistics.fmean(points[d] for d in days if d in points)


def days_between(first: dt.date, last: dt.date):
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# --- shapes of the generated data --------------------------------------------------------------

@pytest.mark.no_db
def test_every_channel_has_18_months_of_every_metric_up_to_the_anchor(generated):
    """Up to the anchor, or to its lag before it: one channel a company stopped pushing (the demo's
    stale-data alert)."""
    for company in COMPANIES:
        series = generated[company.name]
        assert [c.lag_days for c in company.channels].count(4) == 1 and max(c.lag_days for c in company.channels) == 4
        for channel in company.channels:
            for metric in STORED_METRICS:
                points = series[(channel.key, metric)]
                assert points[-1][0] == ANCHOR - dt.timedelta(days=channel.lag_days)
                if channel.launched is None:
                    assert points[0][0] == origin_of(ANCHOR) == ANCHOR - dt.timedelta(days=HISTORY_DAYS)
                assert all(v >= 0 for _, v in points), (company.name, channel.key, metric)
    assert sum(len(p) for s in generated.values() for p in s.values()) > 100_000


@pytest.mark.no_db
def test_followers_grow_logistically_and_level_off(generated):
    for company in COMPANIES:
        for channel in company.channels:
            followers = [v for _, v in generated[company.name][(channel.key, "followers")]]
            assert all(b >= a for a, b in zip(followers, followers[1:], strict=False)), (company.name, channel.key)
            assert followers[-1] > followers[0]
    # A mature page has levelled off: the last quarter adds under 2 %; a young one still grows fast.
    facebook = [v for _, v in generated["Northwind Coffee"][("facebook", "followers")]]
    assert facebook[-1] / facebook[-91] < 1.02
    tiktok = [v for _, v in generated["Northwind Coffee"][("tiktok", "followers")]]
    assert tiktok[-1] / tiktok[-91] > 1.5
    # S-shape: TikTok's growth per month rises, then falls as it nears its plateau.
    linkedin = [v for _, v in generated["Vistula Software"][("linkedin", "followers")]]
    monthly = [linkedin[i + 30] - linkedin[i] for i in range(0, len(linkedin) - 30, 30)]
    assert max(monthly) > 1.5 * monthly[-1]


@pytest.mark.no_db
def test_weekday_rhythm_differs_between_business_and_consumer_channels(generated):
    def weekend_ratio(series, channel):
        reach = series[(channel, "reach")][-182:]
        weekend = statistics.fmean(v for d, v in reach if d.weekday() >= 5)
        weekday = statistics.fmean(v for d, v in reach if d.weekday() < 5)
        return weekend / weekday

    assert weekend_ratio(generated["Vistula Software"], "linkedin") < 0.55
    assert weekend_ratio(generated["Northwind Coffee"], "instagram") > 1.05
    posts = values(generated["Vistula Software"], "yammer", "posts")
    assert sum(v for d, v in posts.items() if d.weekday() >= 5) < 0.05 * sum(posts.values())


@pytest.mark.no_db
def test_parts_add_up_mentions_and_engagements(generated):
    for company in COMPANIES:
        series = generated[company.name]
        for channel in company.channels:
            m = {metric: values(series, channel.key, metric) for metric in STORED_METRICS}
            for day, total in m["mentions"].items():
                parts = m["mentions_positive"][day] + m["mentions_neutral"][day] + m["mentions_negative"][day]
                assert parts == total, (company.name, channel.key, day)
            for day, total in m["engagements"].items():
                parts = m["likes"][day] + m["comments"][day] + m["shares"][day] + m["clicks"][day]
                assert parts == total
            assert all(m["impressions"][d] >= m["reach"][d] for d in m["reach"])


@pytest.mark.no_db
def test_each_company_has_a_crisis_week_of_negative_mentions(generated):
    for company in COMPANIES:
        negative = dict(kpi_daily(generated[company.name], "mentions_negative", "all"))
        start, end = crisis_dates(company, ANCHOR)
        crisis = mean_over(negative, days_between(start, end))
        before = mean_over(negative, days_between(start - dt.timedelta(days=35), start - dt.timedelta(days=7)))
        assert crisis > 5 * before, company.name
        sentiment = dict(kpi_daily(generated[company.name], "sentiment_score", "all"))
        assert sentiment[start + dt.timedelta(days=1)] < 0 < sentiment[start - dt.timedelta(days=7)]


@pytest.mark.no_db
def test_campaigns_lift_reach_and_spend_their_budget(generated):
    for company in COMPANIES:
        series = generated[company.name]
        campaigns = campaign_dates(company, ANCHOR)
        assert 2 <= len(campaigns) <= 4
        for c in campaigns:
            assert c.channels, c.spec.name
            key = c.channels[0]
            reach = values(series, key, "reach")
            middle = c.start + dt.timedelta(days=(c.end - c.start).days // 4)
            during = mean_over(reach, days_between(middle, c.end - dt.timedelta(days=(c.end - c.start).days // 4)))
            quiet = [d for d in days_between(c.start - dt.timedelta(days=60), c.start - dt.timedelta(days=1))
                     if not any(o.start <= d <= o.end for o in campaigns if key in o.channels)]
            before = mean_over(reach, quiet[-28:])
            assert during > 1.25 * before, (company.name, c.spec.name)
        # The money spent is the campaigns' budgets (pro rata for one still running).
        spent = sum(v for ch in company.channels for _, v in series[(ch.key, "spend")])
        planned = sum(c.spec.budget * min(1, ((ANCHOR - c.start).days + 1) / c.spec.days) for c in campaigns)
        assert 0.85 * planned < spent < 1.05 * planned, company.name
        in_any = {d for c in campaigns for d in days_between(c.start, c.end)}
        for channel in company.channels:
            spend = values(series, channel.key, "spend")
            assert all(v == 0 for d, v in spend.items() if d not in in_any)


@pytest.mark.no_db
def test_generation_is_deterministic_and_a_later_run_only_adds_days():
    short = list(generate_channel(NORTHWIND, NORTHWIND.channels[0], ANCHOR, ANCHOR))
    again = list(generate_channel(NORTHWIND, NORTHWIND.channels[0], ANCHOR, ANCHOR))
    longer = list(generate_channel(NORTHWIND, NORTHWIND.channels[0], ANCHOR, ANCHOR + dt.timedelta(days=10)))
    assert short == again
    assert longer[:len(short)] == short
    assert len(longer) == len(short) + 10


# --- goals designed into every status --------------------------------------------------------

def design_all(company, anchor, today):
    series = generate_company(company, anchor, today)
    campaigns, crisis = campaign_dates(company, anchor), crisis_dates(company, anchor)[0]
    for spec in company.goals:
        daily = kpi_daily(series, spec.metric, spec.channel)
        goal = design_goal(spec, daily, today, goal_base(spec, today, anchor, campaigns, crisis))
        yield spec, goal, daily


@pytest.mark.no_db
@pytest.mark.parametrize("anchor, today", [
    (ANCHOR, ANCHOR), (dt.date(2026, 3, 31), dt.date(2026, 3, 31)), (dt.date(2027, 2, 28), dt.date(2027, 2, 28)),
    # seeded long ago, run again today: the untouched goals are designed again for today
    (dt.date(2026, 7, 15), dt.date(2026, 7, 15) + dt.timedelta(days=75)),
    (ANCHOR, ANCHOR + dt.timedelta(days=300)),
])
def test_goals_land_in_every_status_whenever_the_demo_is_seeded(anchor, today):
    """The progress engine itself (pure) judges the designed goals on the seeding day."""
    seen = Counter()
    for company in COMPANIES:
        assert 6 <= len(company.goals) <= 10
        statuses = set()
        for spec, goal, daily in design_all(company, anchor, today):
            status = compute_progress(goal.fields()["kpi"], daily, today)["status"]
            assert status == spec.status, (company.name, spec.title)
            statuses.add(status)
        assert len(statuses) >= 4, company.name
        seen.update(statuses)
    assert set(seen) == set(STATUSES)


@pytest.mark.no_db
def test_goals_cover_the_briefs_categories_and_read_as_plain_language():
    categories = {g.category for c in COMPANIES for g in c.goals}
    assert categories >= {"position_in_field", "customer_relations", "media_relations", "internal_collaboration",
                          "knowledge_base", "test_ideas", "search_visibility", "crisis_dialogue"}
    goal = next(goal for spec, goal, _ in design_all(VISTULA, ANCHOR, ANCHOR) if spec.metric == "followers")
    fields = goal.fields()
    assert f"{fields['kpi']['target']:,.0f} LinkedIn followers by" in fields["description"]
    assert "{" not in fields["description"]


# --- seeding the database ------------------------------------------------------------------------

def _counts(app):
    from backend.extensions import db
    from backend.models import (
        AuditEntry,
        Campaign,
        Channel,
        Company,
        Goal,
        MetricPoint,
        Strategy,
        StrategyRevision,
        User,
    )
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test: count the demo's rows"):
        out = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
               for m in (Company, User, Channel, Campaign, Goal, Strategy, StrategyRevision, MetricPoint)}
        out["audit"] = db.session.scalar(select(func.count()).select_from(AuditEntry))
        from backend.models import Alert, WebhookDelivery

        out["alerts"] = db.session.scalar(select(func.count()).select_from(Alert))
        out["webhook_deliveries"] = db.session.scalar(select(func.count()).select_from(WebhookDelivery))
        out["last_date"] = db.session.scalar(select(func.max(MetricPoint.date)))
        return out


def _demo_principal(app):
    from backend.demo import OWNER_EMAIL
    from backend.extensions import db
    from backend.models import User
    from backend.tenancy import Principal, cross_tenant

    with app.app_context(), cross_tenant("test: find the demo agency"):
        agency_id = db.session.scalars(select(User).where(User.email == OWNER_EMAIL)).one().agency_id
    return Principal.system(agency_id, "test")


@pytest.mark.slow
def test_seed_demo_is_complete_lands_every_status_and_is_idempotent(app):
    from backend.extensions import db
    from backend.models import Company, MetricPoint, StrategyRevision
    from backend.services.progress import company_goals_progress, company_today
    from backend.services.strategy import get_strategy
    from backend.tenancy import acting_as

    messages: list[str] = []
    with app.app_context():
        # Seeded three days ago — in the companies' own time zone (all three share today's date
        # there): their alerts are judged on their today, which is the next day in UTC's last hour.
        (local_today,) = {dt.datetime.now(ZoneInfo(c.timezone)).date() for c in COMPANIES}
        earlier = local_today - dt.timedelta(days=3)
        seed_demo(progress=messages.append, today=earlier)
    first = _counts(app)
    assert first["Company"] == 3 and first["User"] == len(DEMO_USERS)
    assert first["Channel"] == sum(len(c.channels) for c in COMPANIES)
    assert first["Goal"] == sum(len(c.goals) for c in COMPANIES)
    assert first["Campaign"] == sum(len(c.campaigns) for c in COMPANIES)
    assert first["StrategyRevision"] == sum(len(c.strategy_versions) for c in COMPANIES)
    assert first["MetricPoint"] > 100_000 and first["last_date"] == earlier
    assert any("metrics 10,000/" in m for m in messages)
    _demo_alerts_are_seeded(app)

    with app.app_context(), acting_as(_demo_principal(app)):
        statuses = Counter()
        for company in db.session.scalars(select(Company)):
            strategy = get_strategy(company.id)
            assert strategy.status == "active" and strategy.objective and strategy.personality
            assert strategy.launch_plan["followers_target"] > 0 and len(strategy.audiences) >= 2
            revisions = db.session.scalars(select(StrategyRevision).where(
                StrategyRevision.company_id == company.id).order_by(StrategyRevision.revision)).all()
            assert revisions[0].created_at.date() < earlier - dt.timedelta(days=365)  # a history, not one day
            for _goal, progress in company_goals_progress(company.id, as_of=earlier):
                statuses[progress["status"]] += 1
        assert set(statuses) == set(STATUSES), statuses

    # A person edits one goal; the demo must leave that goal alone from now on.
    from backend.models import Goal, User
    from backend.services.goals import update_goal
    from backend.tenancy import Principal

    with app.app_context():
        with acting_as(_demo_principal(app)):
            member = db.session.scalars(select(User).where(User.email == DEMO_USERS[2][1])).one()
            edited = db.session.scalars(select(Goal).where(Goal.title == FJORD.goals[0].title)).one()
            edited_id, edited_kpi = edited.id, (edited.kpi_start_date, edited.kpi_deadline, edited.kpi_target)
        with acting_as(Principal.for_user(member, "member")):
            update_goal(edited.company_id, edited_id, {"owner": "Ingrid and Lars"})

    # ... and again today: only the days since then are added, nothing is duplicated; the goals
    # nobody touched move to today, so they show every status again.
    with app.app_context():
        seed_demo(progress=messages.append)
    second = _counts(app)
    with app.app_context(), acting_as(_demo_principal(app)):
        company = db.session.scalars(select(Company).where(Company.name == FJORD.name)).one()
        today = company_today(company)
        old_sum = db.session.scalar(select(func.sum(MetricPoint.value)).where(MetricPoint.date <= earlier))
        edited = db.session.get(Goal, edited_id)
        assert (edited.kpi_start_date, edited.kpi_deadline, edited.kpi_target) == edited_kpi
        assert edited.owner == "Ingrid and Lars"
        moved = db.session.scalars(select(Goal).where(Goal.title == NORTHWIND.goals[0].title)).one()
        assert moved.kpi_deadline == today + dt.timedelta(days=NORTHWIND.goals[0].deadline)
        statuses = Counter(p["status"] for c in db.session.scalars(select(Company))
                           for _, p in company_goals_progress(c.id) if _.id != edited_id)
        assert set(statuses) == set(STATUSES), statuses
    new_days = (today - earlier).days
    per_day = sum(len(c.channels) for c in COMPANIES) * len(STORED_METRICS)
    assert second["MetricPoint"] == first["MetricPoint"] + new_days * per_day
    assert second["last_date"] == today
    for name in ("Company", "User", "Channel", "Campaign", "Goal", "StrategyRevision"):
        assert second[name] == first[name], name

    with app.app_context():
        seed_demo(progress=messages.append)
    third = _counts(app)
    assert third == second
    with app.app_context(), acting_as(_demo_principal(app)):
        assert db.session.scalar(select(func.sum(MetricPoint.value)).where(MetricPoint.date <= earlier)) == old_sum


def test_seed_demo_command_prints_the_logins(runner, app, outbox):
    result = runner.invoke(args=["seed-demo", "--no-metrics"])
    assert result.exit_code == 0, result.output
    assert "Demo logins (password for all: reachboard-demo)" in result.output
    for _role, email in DEMO_USERS:
        assert email in result.output
    _demo_reports_are_seeded(app, result.output, outbox)
    again = runner.invoke(args=["seed-demo", "--no-metrics"])
    assert again.exit_code == 0, again.output
    assert len(list(outbox.glob("*.eml"))) == 1  # nothing sent twice
    share_line = [line for line in result.output.splitlines() if "/s/" in line]
    assert share_line and share_line[0] in again.output  # the same live link is printed again
    counts = _counts(app)
    assert counts["MetricPoint"] == 0 and counts["Goal"] == sum(len(c.goals) for c in COMPANIES)
    # The viewer sees Northwind Coffee only.
    client = app.test_client()
    resp = client.post("/login", data={"email": DEMO_USERS[3][1], "password": "reachboard-demo"})
    assert resp.status_code == 302
    body = client.get("/api/v1/companies").get_json()
    names = [c["name"] for c in body]
    assert names == ["Northwind Coffee"]


def _demo_reports_are_seeded(app, output, outbox):
    """Last month's report per company (sent, ready, draft), a monthly schedule each, the sent
    report's e-mail in the outbox with its PDF, and its share link printed and live."""
    import email
    from email import policy

    from backend.extensions import db
    from backend.models import Company, Report, ReportSchedule
    from backend.tenancy import acting_as

    with app.app_context(), acting_as(_demo_principal(app)):
        names = {c.id: c.name for c in db.session.scalars(select(Company))}
        reports = {names[r.company_id]: r for r in db.session.scalars(select(Report))}
        assert {n: r.status for n, r in reports.items()} == {
            NORTHWIND.name: "sent", FJORD.name: "ready", VISTULA.name: "draft"}
        assert all(r.period_kind == "month" and r.commentary for r in reports.values())
        schedules = db.session.scalars(select(ReportSchedule)).all()
        assert sorted(names[s.company_id] for s in schedules) == sorted(names.values())
        assert all(s.cadence == "monthly" and s.require_review and s.recipients for s in schedules)
    for company, state in ((NORTHWIND.name, "sent"), (FJORD.name, "ready"), (VISTULA.name, "draft")):
        assert f"of {company}: {state}" in output
    (eml,) = outbox.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert NORTHWIND.name in message["Subject"] and message["To"] == "client@northwind.reachboard.test"
    assert [part.get_content_type() for part in message.iter_attachments()] == ["application/pdf"]
    path = next(line for line in output.splitlines() if "Share link" in line).rpartition("127.0.0.1:8000")[2]
    assert path.startswith("/s/") and path in message.get_body(("plain",)).get_content()
    page = app.test_client().get(path)
    assert page.status_code == 200 and NORTHWIND.name in page.get_data(as_text=True)


def _demo_alerts_are_seeded(app):
    """Each company: one alert of each kind the demo shows (a goal slipped to at risk, its stale
    channel, the crisis week's spike); the agency's webhook endpoint on a port nothing listens
    on, its deliveries tried and failed."""
    from backend.demo.alerts import WEBHOOK_URL
    from backend.extensions import db
    from backend.models import Alert, Company, WebhookDelivery, WebhookEndpoint
    from backend.tenancy import acting_as

    with app.app_context(), acting_as(_demo_principal(app)):
        names = {c.id: c.name for c in db.session.scalars(select(Company))}
        kinds: dict[str, list[str]] = {name: [] for name in names.values()}
        for alert in db.session.scalars(select(Alert)):
            kinds[names[alert.company_id]].append(alert.kind)
            if alert.kind == "goal_status":  # at risk on the seeding day (this test seeds 3 days back)
                assert "(was on track)" in alert.title and alert.seen
        assert {name: sorted(k) for name, k in kinds.items()} == {
            name: ["goal_status", "spike", "stale_data"] for name in names.values()}
        stale = [c.key for spec in COMPANIES for c in spec.channels if c.lag_days]
        assert all(a.object_id in stale for a in db.session.scalars(select(Alert).where(Alert.kind == "stale_data")))
        (endpoint,) = db.session.scalars(select(WebhookEndpoint)).all()
        assert endpoint.url == WEBHOOK_URL
        deliveries = db.session.scalars(select(WebhookDelivery)).all()
        assert len(deliveries) >= 9 and {d.event for d in deliveries} >= {"alert.created"}
        assert all(d.attempts == 1 and d.status == "pending" and d.last_error for d in deliveries)
