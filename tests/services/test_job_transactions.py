"""Jobs leave SQLite's write lock free while they wait on something slow: a report's rendering,
a webhook receiver, a mail server — and hold no read snapshot while a report's charts are drawn
(a snapshot held for seconds makes SQLite's periodic checkpoint, and the writers behind it,
wait). A job's transactions take the lock up front (BEGIN IMMEDIATE) and hold it until they
end, so a job that rendered or called out inside one made every push and import wait for
seconds (issue 19's soak with the job consumer: pushes' p99 6–13 s on SQLite).

Each test replaces the slow call with one that tries to take the write lock from another
connection, without waiting, and records whether it could."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="SQLite's write lock (PostgreSQL has row locks)")


@pytest.fixture
def lock_free(app):
    """A function answering whether another connection can take the write lock at once."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].split("///", 1)[1]

    def check() -> bool:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    return check


@pytest.fixture
def quick_pdf(monkeypatch, lock_free):
    """The report's content read for real; the charts, layout and PDF replaced by quick stand-ins.
    Each records whether the write lock was free, and the layout whether a transaction (a read
    snapshot, which holds up SQLite's checkpoints) was still open."""
    from backend.extensions import db
    from backend.reporting import documents

    seen: dict[str, list[bool]] = {"view": [], "html": [], "html_in_transaction": [], "pdf": []}
    real_view = documents.report_view

    def view(report):
        out = real_view(report)
        seen["view"].append(lock_free())
        return out

    def html(report_view):
        assert report_view.cover.period_start is not None
        seen["html"].append(lock_free())
        seen["html_in_transaction"].append(db.session().in_transaction())
        return "<html></html>"

    def pdf(_html):
        seen["pdf"].append(lock_free())
        return b"%PDF-1.7 stand-in", 1

    monkeypatch.setattr(documents, "report_view", view)
    monkeypatch.setattr(documents, "render_pdf_html", html)
    monkeypatch.setattr(documents, "html_to_pdf", pdf)
    return seen


def _report(app, tenant):
    from backend.services import reports
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        report, _ = reports.create_report(tenant.company_a.id, period_kind="month", anchor=dt.date(2026, 10, 1))
        return report.id


def test_a_reports_pdf_is_rendered_without_holding_the_write_lock(app, tenant, quick_pdf):
    from backend.extensions import db
    from backend.models import Report
    from backend.reporting import store_pdf
    from backend.tenancy import Principal, acting_as

    report_id = _report(app, tenant)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        report = db.session.get(Report, report_id)
        report.pdf = None
        db.session.commit()
        for seen in quick_pdf.values():
            seen.clear()
        assert store_pdf(db.session.get(Report, report_id)) is True
        db.session.expire_all()
        stored = db.session.get(Report, report_id)
        assert stored.pdf_version == stored.version and stored.pdf_pages == 1
    assert quick_pdf == {"view": [True], "html": [True], "html_in_transaction": [False], "pdf": [True]}


def test_a_webhook_is_posted_without_holding_the_write_lock(app, tenant, monkeypatch, lock_free):
    from backend.jobs import webhooks as job
    from backend.services import webhooks as svc
    from backend.tenancy import Principal, acting_as

    free: list[bool] = []

    def post(url, body, headers, *, seconds, allow_loopback):
        free.append(lock_free())
        return job.Outcome(204, 1.0, "", "")

    monkeypatch.setattr(job, "post", post)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        svc.create_endpoint({"url": "http://127.0.0.1:9/hook", "events": ["metrics.pushed"]})
        svc.publish("metrics.pushed", {"company_id": str(tenant.company_a.id)}, company_id=tenant.company_a.id)
        pending = job.due_deliveries(svc.now() + dt.timedelta(minutes=1))
        for _agency_id, delivery_id in pending:
            job.attempt(delivery_id)
    assert free and all(free)


def test_a_report_is_mailed_without_holding_the_write_lock(app, tenant, monkeypatch, quick_pdf, lock_free):
    from backend.extensions import db
    from backend.jobs import report_delivery
    from backend.models import ReportDelivery
    from backend.services import reports
    from backend.tenancy import Principal, acting_as

    free: list[bool] = []
    monkeypatch.setattr(report_delivery, "deliver", lambda email, refused: free.append(lock_free()))
    report_id = _report(app, tenant)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        reports.mark_ready(tenant.company_a.id, report_id)
        delivery_id = reports.send_report(tenant.company_a.id, report_id, ["client@example.com"]).id  # runs it
        db.session.expire_all()
        assert db.session.get(ReportDelivery, delivery_id).status == "sent"
    assert free and all(free)


def test_an_alert_email_is_sent_without_holding_the_write_lock(app, tenant, monkeypatch, lock_free):
    from backend.extensions import db
    from backend.jobs import alert_mail
    from backend.models import AlertEmail
    from backend.services import alert_email as svc
    from backend.services.mail import Email
    from backend.tenancy import Principal, acting_as

    free: list[bool] = []
    monkeypatch.setattr(alert_mail, "deliver", lambda email: free.append(lock_free()))
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        owner = tenant.users["owner"]
        person = svc.Person(owner.id, owner.email, "Owner", "owner", None, {})
        email = Email(message_id="<alert-test@reachboard>", to=(owner.email,), subject="An alert",
                      html="<p>Followers fell.</p>", text="Followers fell.")
        assert alert_mail.send_once(person, "alert:test", 1, lambda: email, "test-task") is True
        db.session.expire_all()
        assert db.session.query(AlertEmail).filter_by(key="alert:test").count() == 1
    assert free == [True]
