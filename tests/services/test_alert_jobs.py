"""The alert evaluation's jobs (backend/jobs/alerts.py): pushes ask for one debounced evaluation
per company; the hourly scan evaluates each company once a day at 06:00 in its time zone."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select


@pytest.fixture
def jobs(app):
    from backend.jobs import huey, init_jobs

    init_jobs(app)  # a fresh in-memory queue: its key-value store holds the claims
    yield huey
    init_jobs(app)


@pytest.fixture
def clock(monkeypatch):
    from backend.services import report_schedules

    class Clock:
        now = dt.datetime(2026, 11, 20, 4, 30)

    c = Clock()
    monkeypatch.setitem(report_schedules._clock, "now", lambda: c.now)
    return c


def _system(tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


def evaluations(huey):
    return [t for t in huey.scheduled() if t.name == "evaluate_alerts"]


def test_a_hundred_pushes_in_a_minute_ask_for_one_evaluation_which_sees_them_all(app, tenant, jobs, clock):
    from backend.extensions import db
    from backend.jobs.alerts import evaluate_company_job
    from backend.models import Alert
    from backend.services.channels import create_channel
    from backend.services.metrics import push_points

    with app.app_context(), _system(tenant):
        create_channel(tenant.company_a.id, {"key": "fb", "platform": "facebook"})
        for i in range(100):
            push_points(tenant.company_a.id, [{"channel": "fb", "metric": "followers",
                                               "date": (dt.date(2026, 1, 1) + dt.timedelta(days=i)).isoformat(),
                                               "value": i}])
    scheduled = evaluations(jobs)
    assert len(scheduled) == 1
    assert scheduled[0].eta is not None  # in a minute, not at once
    # The evaluation runs: the company's last point (April) is long stale for its default rule.
    agency_id, company_id = scheduled[0].args
    evaluate_company_job.call_local(agency_id, company_id)
    with app.app_context(), _system(tenant):
        assert [a.kind for a in db.session.scalars(select(Alert))] == ["stale_data"]
        # The key is free again: the next push asks for the next evaluation.
        push_points(tenant.company_a.id, [{"channel": "fb", "metric": "followers", "date": "2026-05-01",
                                           "value": 1}])
    assert len(evaluations(jobs)) == 2


def test_pushes_to_two_companies_ask_for_one_evaluation_each(app, tenant, jobs, clock):
    from backend.jobs.alerts import request_evaluation

    with app.app_context(), _system(tenant):
        assert request_evaluation(tenant.company_a.id) is True
        assert request_evaluation(tenant.company_a.id) is False
        assert request_evaluation(tenant.company_b.id) is True
        # An evaluation asked for long ago and never run (its consumer died) is asked for again.
        clock.now += dt.timedelta(minutes=11)
        assert request_evaluation(tenant.company_a.id) is True
    assert len(evaluations(jobs)) == 3


def test_the_daily_run_evaluates_each_company_once_at_six_local_time(app, tenant, jobs, clock, monkeypatch):
    from backend.jobs import alerts
    from backend.services.companies import update_company

    with app.app_context(), _system(tenant):
        update_company(tenant.company_a.id, {"timezone": "Europe/Oslo"})  # UTC+1 in November
        update_company(tenant.company_b.id, {"timezone": "America/New_York"})  # UTC-5
    ran = []
    monkeypatch.setattr(alerts.alert_evaluation, "evaluate_company",
                        lambda cid, as_of=None: ran.append((cid, as_of)) or [])
    for hour in range(24):
        clock.now = dt.datetime(2026, 11, 20, hour, 2)
        alerts.alerts_daily.call_local()
        alerts.alerts_daily.call_local()  # a second consumer's scheduler: nothing more
    assert ran == [(tenant.company_a.id, dt.date(2026, 11, 20)), (tenant.company_b.id, dt.date(2026, 11, 20))]
    with app.app_context():
        assert alerts.companies_at_hour(dt.datetime(2026, 11, 20, 5, 0)) == [
            (tenant.agency_id, tenant.company_a.id, dt.date(2026, 11, 20))]
