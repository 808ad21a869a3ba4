"""Running report schedules (backend/jobs/report_schedules.py, backend/services/report_schedules.py
``run_schedule``) with jobs inline: a due schedule makes its period's report and, without review,
e-mails it once — a second scan, a retried run and two runs at once make no second report,
delivery or e-mail; with review the draft waits for a person; a failing run is shown on the
schedule. The same with real consumer processes and an SMTP server: tests/platform/
test_report_schedule_consumers.py."""
from __future__ import annotations

import datetime as dt
import threading
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select

CREATED = dt.datetime(2026, 11, 20, 10, 0)
FIRST_RUN = dt.datetime(2026, 12, 1, 7, 0)  # 08:00 in Oslo
SECOND_RUN = dt.datetime(2027, 1, 1, 7, 0)


@pytest.fixture
def clock(monkeypatch):
    from backend.services import report_schedules

    class Clock:
        now = CREATED

    c = Clock()
    monkeypatch.setitem(report_schedules._clock, "now", lambda: c.now)
    return c


@pytest.fixture
def jobs(app):
    from backend.jobs import huey, init_jobs

    init_jobs(app)  # a fresh in-memory queue (its key-value store holds the runs' claims)
    yield huey
    init_jobs(app)


def _system(app, tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


def make_schedule(app, tenant, **fields):
    from backend.services.companies import update_company
    from backend.services.report_schedules import create_schedule

    with app.app_context(), _system(app, tenant):
        update_company(tenant.company_a.id, {"timezone": "Europe/Oslo"})
        schedule = create_schedule(tenant.company_a.id, {
            "cadence": "monthly", "day_of_month": 1, "hour": 8, "recipients": ["client@example.com"],
            "require_review": False, **fields})
        assert schedule.next_run_at == FIRST_RUN
        return schedule.id


def state(app, tenant, schedule_id):
    from backend.extensions import db
    from backend.models import Report, ReportDelivery, ReportSchedule

    with app.app_context(), _system(app, tenant):
        schedule = db.session.get(ReportSchedule, schedule_id)
        reports = [(r.period_kind, r.period_start, r.period_end, r.status, r.schedule_id) for r in
                   db.session.scalars(select(Report).order_by(Report.period_start))]
        deliveries = [(d.report_id, d.schedule_id, d.status, d.recipients) for d in
                      db.session.scalars(select(ReportDelivery))]
        return schedule, reports, deliveries


def emails(outbox):
    out = []
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        out.append((msg["To"], msg["Subject"]))
    return out


def scan(app):
    from backend.jobs.report_schedules import report_schedules_due

    with app.app_context():
        report_schedules_due()


def test_a_due_schedule_makes_and_sends_its_report_once_per_period(app, tenants, clock, jobs, outbox):
    from backend.jobs.report_schedules import run_report_schedule

    acme, _ = tenants
    sid = make_schedule(app, acme)
    clock.now = FIRST_RUN - dt.timedelta(minutes=1)
    scan(app)
    assert state(app, acme, sid)[1] == [] and emails(outbox) == []  # not due yet
    clock.now = FIRST_RUN + dt.timedelta(minutes=3)
    scan(app)
    schedule, reports, deliveries = state(app, acme, sid)
    assert reports == [("month", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "sent", sid)]
    assert [(d[1], d[2], d[3]) for d in deliveries] == [(sid, "sent", ["client@example.com"])]
    assert schedule.next_run_at == SECOND_RUN and schedule.last_run_at == FIRST_RUN and schedule.last_error == ""
    assert [to for to, _subject in emails(outbox)] == ["client@example.com"]
    # Another scan, and the same run again (a retry, or a twin from another consumer's scan): nothing new.
    scan(app)
    with app.app_context():
        run_report_schedule(acme.agency_id, sid, FIRST_RUN.isoformat())
    assert state(app, acme, sid)[1:] == (reports, deliveries) and len(emails(outbox)) == 1
    # The next period, a month later.
    clock.now = SECOND_RUN + dt.timedelta(minutes=1)
    scan(app)
    schedule, reports, deliveries = state(app, acme, sid)
    assert [r[1] for r in reports] == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert len(deliveries) == 2 and len(emails(outbox)) == 2
    assert schedule.next_run_at == dt.datetime(2027, 2, 1, 7)


def test_two_runs_at_once_make_one_report_one_delivery_and_one_email(app, tenants, clock, jobs, outbox):
    from backend.services.report_schedules import run_schedule

    acme, _ = tenants
    sid = make_schedule(app, acme)
    clock.now = FIRST_RUN + dt.timedelta(minutes=1)
    start = threading.Barrier(3)
    outcomes, errors = [], []

    def consumer():
        with app.app_context(), _system(app, acme):
            start.wait()
            try:
                outcomes.append(run_schedule(sid, FIRST_RUN))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=consumer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    schedule, reports, deliveries = state(app, acme, sid)
    assert len(reports) == 1 and len(deliveries) == 1 and len(emails(outbox)) == 1, outcomes
    assert schedule.next_run_at == SECOND_RUN


def test_with_review_the_draft_waits_and_marking_it_ready_sends_it(app, tenants, clock, jobs, outbox):
    from backend.extensions import db
    from backend.models import Report
    from backend.services.reports import mark_ready

    acme, _ = tenants
    sid = make_schedule(app, acme, require_review=True)
    clock.now = FIRST_RUN + dt.timedelta(minutes=1)
    scan(app)
    schedule, reports, deliveries = state(app, acme, sid)
    assert [r[3] for r in reports] == ["draft"] and deliveries == [] and emails(outbox) == []
    assert schedule.next_run_at == SECOND_RUN
    with app.app_context(), _system(app, acme):
        report = db.session.scalars(select(Report)).one()
        mark_ready(acme.company_a.id, report.id)
    _, reports, deliveries = state(app, acme, sid)
    assert [r[3] for r in reports] == ["sent"] and [d[1] for d in deliveries] == [sid]
    assert [to for to, _ in emails(outbox)] == ["client@example.com"]


def test_a_report_made_by_hand_as_a_draft_is_not_sent_by_a_schedule_without_review(app, tenants, clock, jobs,
                                                                                     outbox):
    from backend.services.reports import create_report

    acme, _ = tenants
    sid = make_schedule(app, acme)
    with app.app_context(), _system(app, acme):
        create_report(acme.company_a.id, period_kind="month", anchor=dt.date(2026, 11, 5))
    clock.now = FIRST_RUN + dt.timedelta(minutes=1)
    scan(app)
    schedule, reports, deliveries = state(app, acme, sid)
    assert [(r[3], r[4]) for r in reports] == [("draft", None)] and deliveries == [] and emails(outbox) == []
    assert schedule.next_run_at == SECOND_RUN


def test_a_failing_run_is_shown_on_the_schedule_and_enqueued_again_after_its_lease(app, tenants, clock, jobs,
                                                                                     outbox, monkeypatch):
    from backend.jobs.report_schedules import RUN_LEASE, run_report_schedule
    from backend.services import reports

    acme, _ = tenants
    sid = make_schedule(app, acme)
    real, broken = reports.create_report, [True]

    def flaky(*args, **kwargs):
        if broken[0]:
            raise RuntimeError("the renderer went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "create_report", flaky)
    monkeypatch.setattr(run_report_schedule.task_class, "default_retry_delay", 0)  # inline retries at once
    clock.now = FIRST_RUN + dt.timedelta(minutes=1)
    scan(app)  # the run and its 3 retries fail
    schedule, made, _ = state(app, acme, sid)
    assert made == [] and schedule.next_run_at == FIRST_RUN
    assert "RuntimeError: the renderer went away" in schedule.last_error and "2026-12-01T07:00" in schedule.last_error
    broken[0] = False
    clock.now += RUN_LEASE - dt.timedelta(minutes=1)
    scan(app)  # the failed run's claim still holds: not enqueued again yet
    assert state(app, acme, sid)[1] == []
    clock.now += dt.timedelta(minutes=2)
    scan(app)
    schedule, made, deliveries = state(app, acme, sid)
    assert len(made) == 1 and len(deliveries) == 1 and len(emails(outbox)) == 1
    assert schedule.last_error == "" and schedule.next_run_at == SECOND_RUN


def test_a_paused_or_deleted_schedule_does_not_run(app, tenants, clock, jobs, outbox):
    from backend.jobs.report_schedules import run_report_schedule
    from backend.services.report_schedules import delete_schedule, update_schedule

    acme, _ = tenants
    sid = make_schedule(app, acme)
    with app.app_context(), _system(app, acme):
        update_schedule(acme.company_a.id, sid, {"active": False})
    clock.now = FIRST_RUN + dt.timedelta(minutes=1)
    scan(app)
    with app.app_context():
        run_report_schedule(acme.agency_id, sid, FIRST_RUN.isoformat())  # enqueued before the pause
    assert state(app, acme, sid)[1:] == ([], [])
    with app.app_context(), _system(app, acme):
        delete_schedule(acme.company_a.id, sid)
    with app.app_context():
        run_report_schedule(acme.agency_id, sid, FIRST_RUN.isoformat())
    assert emails(outbox) == []


def test_an_archived_companys_schedule_makes_no_report_and_moves_on(app, tenants, clock, jobs, outbox):
    from backend.services.companies import update_company

    acme, _ = tenants
    sid = make_schedule(app, acme)
    with app.app_context(), _system(app, acme):
        update_company(acme.company_a.id, {"archived": True})
    clock.now = FIRST_RUN + dt.timedelta(minutes=1)
    scan(app)
    schedule, reports, deliveries = state(app, acme, sid)
    assert reports == [] and deliveries == [] and emails(outbox) == []
    assert schedule.next_run_at == SECOND_RUN  # not enqueued again every 15 minutes


def test_a_report_made_by_hand_is_taken_on_by_a_schedule_with_review(app, tenants, clock, jobs, outbox):
    """A draft made by hand for the period becomes the schedule's (marking it ready sends it to the
    schedule's recipients); one made and marked ready by hand is sent by the run; one sent by hand
    is not sent again."""
    from backend.extensions import db
    from backend.models import Report
    from backend.services.reports import create_report, mark_ready, send_report

    acme, _ = tenants
    sid = make_schedule(app, acme, require_review=True)
    with app.app_context(), _system(app, acme):
        november, _ = create_report(acme.company_a.id, period_kind="month", anchor=dt.date(2026, 11, 5))
        november_id = november.id
    clock.now = FIRST_RUN + dt.timedelta(minutes=1)
    scan(app)
    _, reports, deliveries = state(app, acme, sid)
    assert [(r[3], r[4]) for r in reports] == [("draft", sid)] and deliveries == [] and emails(outbox) == []
    with app.app_context(), _system(app, acme):
        mark_ready(acme.company_a.id, november_id)
    _, reports, deliveries = state(app, acme, sid)
    assert [r[3] for r in reports] == ["sent"] and [(d[1], d[3]) for d in deliveries] == [(sid, ["client@example.com"])]

    # December: made and marked ready by hand before the run; the run sends it.
    with app.app_context(), _system(app, acme):
        december, _ = create_report(acme.company_a.id, period_kind="month", anchor=dt.date(2026, 12, 5))
        mark_ready(acme.company_a.id, december.id)
    clock.now = SECOND_RUN + dt.timedelta(minutes=1)
    scan(app)
    _, reports, deliveries = state(app, acme, sid)
    assert [(r[3], r[4]) for r in reports] == [("sent", sid), ("sent", sid)] and len(deliveries) == 2
    assert len(emails(outbox)) == 2

    # January: sent by hand before the run; the run leaves it (one e-mail for the period).
    with app.app_context(), _system(app, acme):
        january, _ = create_report(acme.company_a.id, period_kind="month", anchor=dt.date(2027, 1, 5))
        mark_ready(acme.company_a.id, january.id)
        send_report(acme.company_a.id, january.id, ["boss@example.com"])
        january_id = january.id
    clock.now = dt.datetime(2027, 2, 1, 7, 1)
    scan(app)
    with app.app_context(), _system(app, acme):
        assert db.session.get(Report, january_id).schedule_id is None
    assert len(emails(outbox)) == 3
