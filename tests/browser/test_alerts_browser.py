"""The bell in Chromium (issue 14, Done when): a push (through the API) that sends a goal off track
asks for the company's evaluation, which — run as the consumer runs it — makes the bell's count go
up; the alert opens that goal on the company page (chosen over the one the page would choose),
the portfolio and /manage count it, and marking it read clears the count. The company's client
viewer does not see it (the rule is not visible to clients). Screenshots: screenshots/alerts-*.png
(and /tmp/screens/ for a look)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from .conftest import csp_violations, do_login, new_page, save_screenshot

pytestmark = [pytest.mark.browser]
LOOK = Path("/tmp/screens")
DAYS = 40


def _shot(pg, name: str) -> Path:
    path = save_screenshot(pg, name)
    LOOK.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, LOOK / path.name)
    return path


def _push(pg, company_id, key: str, values: dict[dt.date, float]) -> None:
    """POST the company's followers on these days through the API, as an integration does."""
    points = [{"channel": "instagram", "metric": "followers", "date": day.isoformat(), "value": value}
              for day, value in sorted(values.items())]
    resp = pg.request.post(f"/api/v1/companies/{company_id}/metrics", data={"points": points},
                           headers={"Authorization": f"Bearer {key}"})
    assert resp.status == 200, resp.text()


def _run_the_evaluation_the_push_asked_for(live_server, company_id, ran: set) -> None:
    """The consumer, a minute later: the push scheduled one (debounced) evaluation of the company's
    rules (backend/jobs/alerts.py); run it in the live server's app, as the consumer would. (The
    in-memory queue's schedule is consumed by nobody here: ``ran`` holds the tasks already run.)"""
    from backend.jobs import huey
    from backend.jobs.alerts import evaluate_company_job

    asked = [t for t in huey.scheduled() if t.name == "evaluate_alerts" and t.args[1] == str(company_id)
             and t.id not in ran]
    assert len(asked) == 1, asked  # the push asked for exactly one
    assert asked[0].eta is not None  # debounced: later, not at once
    ran.add(asked[0].id)
    with live_server.app.app_context():
        evaluate_company_job.call_local(*asked[0].args)


def _bell(pg) -> int:
    return int(pg.get_attribute("#rb-bell", "data-unread"))


def test_a_push_that_sends_a_goal_off_track_rings_the_bell(browser, live_server):
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import AlertRule, Goal
    from backend.services import channels

    tenant = live_server.build_tenant("Bell Agency")
    company = tenant.company_a
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=DAYS)
    with live_server.acting(tenant):
        channels.create_channel(company.id, {"key": "instagram", "platform": "instagram", "name": "Instagram"})
        goal = Goal(company_id=company.id, title="Reach 2,000 followers", category="awareness",
                    kpi_metric="followers", kpi_channel="all", kpi_aggregation="latest", kpi_baseline=1000,
                    kpi_target=2000, kpi_start_date=start, kpi_deadline=today + dt.timedelta(days=DAYS))
        # A goal off track from the start, due sooner: the page would choose it (its first judgement
        # raises no alert), so opening the alert must choose the other.
        db.session.add(Goal(company_id=company.id, title="Reach 5,000 followers", category="awareness",
                            kpi_metric="followers", kpi_channel="all", kpi_aggregation="latest", kpi_baseline=1000,
                            kpi_target=5000, kpi_start_date=start, kpi_deadline=today + dt.timedelta(days=20)))
        db.session.add(goal)
        # New companies get the default goal-status rule (backend/services/alert_rules.py); one is enough.
        if not db.session.scalars(select(AlertRule).where(AlertRule.company_id == company.id,
                                                          AlertRule.kind == "goal_status")).first():
            db.session.add(AlertRule(company_id=company.id, kind="goal_status", name="Goal status",
                                     params={"statuses": ["at_risk", "off_track", "missed", "achieved"]}))
        db.session.commit()
        goal_id = str(goal.id)

    ran: set = set()
    context, pg = new_page(browser, live_server)
    try:
        # Steady growth: on track (the first evaluation only notes each goal's status).
        _push(pg, company.id, tenant.keys["metrics:write"],
              {start + dt.timedelta(days=i): 1000 + 20 * i for i in range(DAYS)})
        _run_the_evaluation_the_push_asked_for(live_server, company.id, ran)
        do_login(pg, tenant.emails["owner"])
        pg.goto(f"/dashboard/company/{company.id}")
        pg.wait_for_selector("#rb-company-alerts")
        assert _bell(pg) == 0
        assert "No open alerts" in pg.inner_text("#rb-company-alerts")

        # The account lost followers over the last three days: the goal goes off track.
        _push(pg, company.id, tenant.keys["metrics:write"],
              {today - dt.timedelta(days=k): 900 for k in (1, 2, 3)})
        _run_the_evaluation_the_push_asked_for(live_server, company.id, ran)
        pg.reload()
        pg.wait_for_selector("#rb-company-alerts [data-testid=company-alert-link]")
        assert "Reach 5,000 followers" in pg.inner_text("#rb-goal-select")  # the page's own choice
        assert _bell(pg) == 1
        assert pg.inner_text("#rb-bell [data-testid=alert-count]") == "1"
        _shot(pg, "alerts-bell-rings")

        # The bell opens the person's alerts; the alert opens the goal on the company page.
        pg.click("#rb-bell")
        pg.wait_for_url("**/alerts")
        item = pg.locator("[data-testid=alert-item]")
        assert item.count() == 1 and item.get_attribute("data-read") == "false"
        assert "Reach 2,000 followers" in item.inner_text()
        _shot(pg, "alerts-list")
        pg.click("[data-testid=alert-link]")
        pg.wait_for_url(f"**/dashboard/company/{company.id}?goal={goal_id}")
        pg.wait_for_selector("#rb-goal-path-graph .main-svg")
        chosen = pg.inner_text("#rb-goal-select")
        assert "Reach 2,000 followers" in chosen and "Off track" in chosen
        _shot(pg, "alerts-goal-opened")

        # The portfolio counts it in the company's open-alerts column; /manage rings the same bell.
        pg.goto("/dashboard/")
        cell = pg.locator(f".ag-row[row-id='{company.id}'] .ag-cell[col-id='open_alerts']").first
        cell.wait_for()
        assert cell.inner_text().strip() == "1"
        pg.click("#rb-portfolio-attention")
        pg.wait_for_selector("#rb-portfolio-period:has-text('Needs attention')")
        _shot(pg, "alerts-portfolio")
        pg.goto("/manage/companies")
        assert pg.get_attribute("[data-testid=alert-bell]", "data-unread") == "1"
        _shot(pg, "alerts-manage-bell")

        # Marking it read clears the count, here and on the dashboard.
        pg.click("#rb-bell")
        pg.wait_for_url("**/alerts")
        pg.click("[data-testid=mark-read]")
        pg.wait_for_load_state("load")
        assert pg.locator("[data-testid=alert-item]").get_attribute("data-read") == "true"
        assert pg.get_attribute("[data-testid=alert-bell]", "data-unread") == "0"
        assert pg.locator("[data-testid=alert-count]").count() == 0
        _shot(pg, "alerts-read")
        pg.goto(f"/dashboard/company/{company.id}")
        pg.wait_for_selector("#rb-company-alerts")
        assert _bell(pg) == 0 and "No open alerts" in pg.inner_text("#rb-company-alerts")
        assert not [e for e in pg.rb_console_errors if "favicon" not in e], pg.rb_console_errors
        assert not csp_violations(pg)
    finally:
        context.close()

    # The company's client viewer: the rule is not visible to clients, so no count and no alert.
    context, pg = new_page(browser, live_server)
    try:
        do_login(pg, tenant.emails["viewer"])
        pg.goto(f"/dashboard/company/{company.id}")
        pg.wait_for_selector("#rb-company-alerts")
        assert _bell(pg) == 0 and "No open alerts" in pg.inner_text("#rb-company-alerts")
        pg.goto("/alerts")
        assert pg.locator("[data-testid=alert-item]").count() == 0
        _shot(pg, "alerts-viewer")
    finally:
        context.close()
