"""The report's life (backend/services/reports.py): periods, one report per company and period
(also under a race), draft-only editing with versions, who sees what, and sending (409 for a
draft, 422 naming an address, a schedule's delivery made once)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select


@pytest.fixture
def acting(app, tenant):
    """Run service calls inside the app as someone of the tenant (the operator by default)."""
    from contextlib import contextmanager

    from backend.tenancy import Principal, acting_as

    @contextmanager
    def _as(principal=None):
        with app.app_context(), acting_as(principal or Principal.system(tenant.agency_id, "test")):
            yield

    return _as


def _viewer(tenant):
    from backend.tenancy import Principal

    user = tenant.users["viewer"]
    return Principal.for_user(user_like(user, tenant), "viewer", [tenant.company_a.id])


def user_like(user, tenant):
    from types import SimpleNamespace

    return SimpleNamespace(id=user.id, agency_id=tenant.agency_id, email=user.email)


def _goal(company_id, title="Reach 2,000 followers"):
    from backend.services import goals

    return goals.create_goal(company_id, {"title": title, "category": "customer_relations", "kpi": {
        "metric": "followers", "aggregation": "latest", "target": 2000, "start_date": dt.date(2026, 1, 1),
        "deadline": dt.date(2026, 12, 31)}})


@pytest.mark.no_db
def test_period_bounds_months_quarters_and_custom_ranges():
    from backend.services.errors import ValidationFailed
    from backend.services.reports import period_bounds, previous_period

    assert period_bounds("month", anchor=dt.date(2026, 2, 14)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_bounds("month", start=dt.date(2028, 2, 3)) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert period_bounds("quarter", anchor=dt.date(2026, 11, 30)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert period_bounds("quarter", anchor=dt.date(2026, 1, 1)) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_bounds("custom", start=dt.date(2026, 3, 5), end=dt.date(2026, 3, 5)) == \
        (dt.date(2026, 3, 5), dt.date(2026, 3, 5))
    assert previous_period("month", dt.date(2026, 1, 15)) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert previous_period("quarter", dt.date(2026, 5, 1)) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    for kwargs, field in ((dict(kind="week", anchor=dt.date(2026, 1, 1)), "period_kind"),
                          (dict(kind="custom", start=dt.date(2026, 3, 5)), "period_end"),
                          (dict(kind="custom", start=dt.date(2026, 3, 5), end=dt.date(2026, 3, 4)), "period_end"),
                          (dict(kind="custom", start=dt.date(2026, 1, 1), end=dt.date(2027, 6, 1)), "period_end"),
                          (dict(kind="month"), "anchor"),
                          (dict(kind="month", anchor=dt.date(1999, 1, 1)), "anchor")):
        kind = kwargs.pop("kind")
        with pytest.raises(ValidationFailed) as err:
            period_bounds(kind, **kwargs)
        assert err.value.errors[0]["field"] == field, (kind, kwargs)


def test_one_report_per_company_and_period_even_when_two_requests_race(app, tenant, acting, monkeypatch):
    from backend.extensions import db
    from backend.models import AuditEntry, Report
    from backend.services import reports

    cid = tenant.company_a.id
    with acting():
        first, made = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 10, 9))
        assert made and (first.period_start, first.period_end, first.status) == \
            (dt.date(2026, 10, 1), dt.date(2026, 10, 31), "draft")
        again, made = reports.create_report(cid, period_kind="custom", period_start=dt.date(2026, 10, 1),
                                            period_end=dt.date(2026, 10, 31), commentary="ignored")
        assert not made and again.id == first.id and again.commentary == ""
        # A race: the other request inserted its row after this one looked; the constraint decides.
        real = reports._existing
        calls = {"n": 0}

        def late(*args):
            calls["n"] += 1
            return None if calls["n"] == 1 else real(*args)

        monkeypatch.setattr(reports, "_existing", late)
        raced, made = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 10, 20))
        assert not made and raced.id == first.id and calls["n"] == 2
        monkeypatch.setattr(reports, "_existing", real)
        # The other company's October is its own report.
        other, made = reports.create_report(tenant.company_b.id, period_kind="month", anchor=dt.date(2026, 10, 1))
        assert made and other.id != first.id
        assert db.session.scalar(select(func.count()).select_from(Report)) == 2
        assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "report.create")).all() == \
            ["report.create", "report.create"]


def test_drafts_are_edited_with_versions_then_frozen_once_ready(app, tenant, acting):
    from backend.services import reports
    from backend.services.errors import Conflict, StaleObject, ValidationFailed

    cid = tenant.company_a.id
    with acting():
        goal = _goal(cid)
        other_goal = _goal(tenant.company_b.id, "Someone else's goal")
        report, _ = reports.create_report(cid, period_kind="quarter", anchor=dt.date(2026, 8, 1))
        assert report.version == 1
        report = reports.update_report(cid, report.id, {"commentary": "  A strong quarter.  ",
                                                        "highlighted_goal_ids": [str(goal.id)]}, expected_version=1)
        assert (report.commentary, report.highlighted_goal_ids, report.version) == \
            ("A strong quarter.", [str(goal.id)], 2)
        same = reports.update_report(cid, report.id, {"commentary": "A strong quarter."})
        assert same.version == 2  # nothing changed, nothing bumped
        with pytest.raises(StaleObject):
            reports.update_report(cid, report.id, {"commentary": "Old edit"}, expected_version=1)
        with pytest.raises(ValidationFailed) as err:
            reports.update_report(cid, report.id, {"highlighted_goal_ids": [str(goal.id), str(other_goal.id)],
                                                   "title": "x"})
        assert {e["field"] for e in err.value.errors} == {"highlighted_goal_ids.1", "title"}
        with pytest.raises(ValidationFailed) as err:
            reports.update_report(cid, report.id, {"commentary": "x" * 20_001})
        assert err.value.errors[0]["field"] == "commentary"
        ready = reports.mark_ready(cid, report.id)
        assert ready.status == "ready" and ready.ready_by == "test" and ready.ready_at is not None
        with pytest.raises(Conflict):
            reports.update_report(cid, report.id, {"commentary": "Too late"})
        assert reports.get_report(cid, report.id).commentary == "A strong quarter."
        # Reopened, it is a draft again and can be edited; status "ready" in a PATCH marks it ready.
        reopened = reports.update_report(cid, report.id, {"status": "draft", "commentary": "Fixed a typo."})
        assert (reopened.status, reopened.commentary, reopened.version) == ("draft", "Fixed a typo.", 3)
        assert reports.update_report(cid, report.id, {"status": "ready"}).status == "ready"


def test_client_viewers_see_sent_reports_only(app, tenant, acting):
    from backend.extensions import db
    from backend.services import reports
    from backend.services.errors import NotFound

    cid = tenant.company_a.id
    with acting():
        draft, _ = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 9, 1))
        ready, _ = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 8, 1))
        sent, _ = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 7, 1))
        reports.mark_ready(cid, ready.id)
        sent.status = "sent"
        db.session.commit()
        ids = [draft.id, ready.id, sent.id]
        assert [r.id for r in reports.list_reports(cid)] == ids  # latest period first
    with acting(_viewer(tenant)):
        assert [r.id for r in reports.list_reports(cid)] == [sent.id]
        assert reports.get_report(cid, sent.id).id == sent.id
        for hidden in (draft.id, ready.id):
            with pytest.raises(NotFound):
                reports.get_report(cid, hidden)
        with pytest.raises(NotFound):
            reports.list_reports(tenant.company_b.id)


def test_sending_refuses_drafts_and_bad_addresses_then_queues_a_delivery(app, tenant, acting, outbox):
    from backend.models import AuditEntry, ReportDelivery
    from backend.services import reports
    from backend.services.errors import Conflict, ValidationFailed

    cid = tenant.company_a.id
    with acting():
        report, _ = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 10, 1))
        with pytest.raises(Conflict):
            reports.send_report(cid, report.id, ["client@example.com"])
        reports.mark_ready(cid, report.id)
        with pytest.raises(ValidationFailed) as err:
            reports.send_report(cid, report.id, ["client@example.com", "not-an-address"])
        assert err.value.errors[0]["field"] == "recipients.1" and "not-an-address" in err.value.errors[0]["message"]
        with pytest.raises(ValidationFailed):
            reports.send_report(cid, report.id, [])
        from backend.extensions import db

        assert db.session.scalars(select(ReportDelivery)).all() == []
        delivery = reports.send_report(cid, report.id, ["Client@Example.com", "client@example.com"])
        assert delivery.recipients == ["Client@example.com", "client@example.com"]
        assert delivery.message_id == f"report-delivery-{delivery.id.hex}"
        db.session.expire_all()
        # The job ran inline (JOBS_IMMEDIATE): the outbox holds the message, the report is sent.
        assert db.session.get(ReportDelivery, delivery.id).status == "sent"
        assert reports.get_report(cid, report.id).status == "sent"
        assert [p.name.endswith(f"-{delivery.message_id}.eml") for p in outbox.iterdir()] == [True]
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("report."))
                                     .order_by(AuditEntry.created_at)).all()
        assert actions == ["report.create", "report.ready", "report.send"]


def test_a_schedule_sends_a_report_once_and_review_gates_it(app, tenant, acting, outbox):
    from backend.extensions import db
    from backend.models import ReportDelivery, ReportSchedule
    from backend.services import reports
    from backend.services.errors import Conflict

    cid = tenant.company_a.id
    with acting():
        reviewed = ReportSchedule(company_id=cid, cadence="monthly", day_of_month=1, hour=8, period="previous_month",
                                  recipients=["client@example.com"], require_review=True)
        automatic = ReportSchedule(company_id=cid, cadence="weekly", weekday=0, hour=8, period="previous_week",
                                   recipients=["boss@example.com"], require_review=False)
        db.session.add_all([reviewed, automatic])
        db.session.commit()
        # Without review, a schedule sends the draft straight away, and only once.
        auto, _ = reports.create_report(cid, period_kind="custom", period_start=dt.date(2026, 11, 2),
                                        period_end=dt.date(2026, 11, 8), schedule_id=automatic.id)
        first = reports.send_report(cid, auto.id, automatic.recipients, schedule_id=automatic.id)
        second = reports.send_report(cid, auto.id, automatic.recipients, schedule_id=automatic.id)
        assert first.id == second.id
        # With review, the draft waits for a person; marking it ready sends it, once.
        gated, _ = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 10, 1),
                                         schedule_id=reviewed.id)
        with pytest.raises(Conflict):
            reports.send_report(cid, gated.id, reviewed.recipients, schedule_id=reviewed.id)
        reports.mark_ready(cid, gated.id)
        reports.mark_ready(cid, gated.id)  # a second click sends nothing more
        deliveries = db.session.scalars(select(ReportDelivery).order_by(ReportDelivery.created_at)).all()
        assert [(d.report_id, d.schedule_id, d.recipients, d.status) for d in deliveries] == [
            (auto.id, automatic.id, ["boss@example.com"], "sent"),
            (gated.id, reviewed.id, ["client@example.com"], "sent")]
        assert len(list(outbox.iterdir())) == 2


def test_deleting_a_report_takes_its_deliveries(app, tenant, acting, outbox):
    from backend.extensions import db
    from backend.models import Report, ReportDelivery
    from backend.services import reports
    from backend.services.errors import NotFound

    cid = tenant.company_a.id
    with acting():
        report, _ = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 10, 1))
        reports.mark_ready(cid, report.id)
        reports.send_report(cid, report.id, ["client@example.com"])
        reports.delete_report(cid, report.id)
        assert db.session.scalars(select(Report)).all() == []
        assert db.session.scalars(select(ReportDelivery)).all() == []
        with pytest.raises(NotFound):
            reports.get_report(cid, report.id)
        with pytest.raises(NotFound):
            reports.get_report(cid, uuid.uuid4())
