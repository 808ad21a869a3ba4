"""E-mailing a report (backend/jobs/report_delivery.py) to a real SMTP server in-process (aiosmtpd):
the message arrives with the agency's branding, the PDF attached, the logo inline and an absolute
share link; a refused recipient is recorded; a 550 for everyone is retried, then recorded on the
delivery as failed; a retry after a failed attempt sends exactly one message."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import socket
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

import pytest
from aiosmtpd.controller import Controller
from markupsafe import escape
from sqlalchemy import select


class Inbox:
    """Keeps what arrives; refuses the addresses in ``refuse`` and, while ``fail_next`` > 0, every
    recipient of that many attempts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.refuse: set[str] = set()
        self.fail_next = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.fail_next or address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    async def handle_RSET(self, server, session, envelope):
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_server():
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def smtp(app, smtp_server, monkeypatch):
    """The app sends through the in-process server; retries happen at once."""
    from backend.jobs import init_jobs
    from backend.jobs.report_delivery import deliver_report
    from backend.services.mail import init_mail

    inbox, port = smtp_server
    inbox.messages.clear()
    inbox.refuse, inbox.fail_next = set(), 0
    keys = ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS")
    saved = {k: app.config.get(k) for k in keys}
    init_jobs(app)  # a fresh queue: no message id recorded as sent by another test
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    init_mail(app)
    monkeypatch.setattr(deliver_report.task_class, "default_retry_delay", 0)
    yield inbox
    app.config.update(saved)
    init_mail(app)


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 90)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def ready_report(app, tenant):
    """A branded agency and a ready October report of company A; returns a function that sends it
    (as the operator) and answers the delivery's id."""
    from backend.services import branding, reports
    from backend.tenancy import Principal, acting_as

    cid = tenant.company_a.id
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        branding.update_branding({"display_name": "Acme Social", "primary_color": "#C81E5A",
                                  "email_sender_name": "Acme Social reports", "footer": "Acme Social · Storgatan 1"})
        branding.set_logo(_png())
        report, _ = reports.create_report(cid, period_kind="month", anchor=dt.date(2026, 10, 1),
                                          commentary="Followers grew steadily.\nThe spring campaign paid off.")
        reports.mark_ready(cid, report.id)
        report_id = report.id

    def send(recipients):
        with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
            return reports.send_report(cid, report_id, recipients).id

    return report_id, send


def _parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def _summary(app, tenant, report_id) -> list[str]:
    from backend.extensions import db
    from backend.models import Report
    from backend.read_models.report import report_view
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        return report_view(db.session.get(Report, report_id)).sentences


def _rows(app, delivery_id, report_id):
    from backend.extensions import db
    from backend.models import Report, ReportDelivery
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the delivery"):
        delivery = db.session.get(ReportDelivery, delivery_id)
        report = db.session.get(Report, report_id)
        db.session.expunge_all()
        return delivery, report


def test_the_branded_report_arrives_with_its_pdf_logo_and_share_link(app, tenant, smtp, ready_report):
    from backend.extensions import db
    from backend.models import Report
    from backend.tenancy import cross_tenant

    report_id, send = ready_report
    delivery_id = send(["client@example.com", "ceo@example.org"])
    [raw] = smtp.messages
    message = _parse(raw)
    assert parseaddr(str(message["From"]))[0] == "Acme Social reports"
    assert message["Subject"] == "Acme Agency Client A: October 2026 report from Acme Social"
    assert message["Message-ID"].startswith(f"<report-delivery-{delivery_id.hex}@")
    html = message.get_body(("html",)).get_content()
    plain = message.get_body(("plain",)).get_content()
    assert 'data-brand-color="#C81E5A"' in html and "Acme Social · Storgatan 1" in html
    assert 'src="cid:agency-logo"' in html
    assert "Followers grew steadily." in html and "The spring campaign paid off." in plain
    sentences = _summary(app, tenant, report_id)
    assert sentences and all(f"- {s}" in plain for s in sentences)  # the summary's generated sentences
    assert "".join(f"<li>{escape(s)}</li>" for s in sentences) in html
    link = next(word for word in plain.split() if "/s/" in word)
    assert link.startswith("http://127.0.0.1:8000/s/") and f'href="{link}"' in html
    parts = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(parts) == {"acme-agency-client-a-2026-10-01-2026-10-31.pdf", "logo.png"}
    pdf = parts["acme-agency-client-a-2026-10-01-2026-10-31.pdf"].get_payload(decode=True)
    assert pdf.startswith(b"%PDF")
    logo = parts["logo.png"]
    assert logo["Content-ID"] == "<agency-logo>" and logo.get_payload(decode=True) == _png()
    delivery, report = _rows(app, delivery_id, report_id)
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 1, "")
    assert report.status == "sent" and report.sent_at is not None
    with app.app_context(), cross_tenant("test reads the stored PDF"):
        stored = db.session.scalar(select(Report.pdf).where(Report.id == report_id))
    assert hashlib.sha256(pdf).hexdigest() == hashlib.sha256(stored).hexdigest()


def test_a_recipient_refused_at_smtp_time_is_recorded_on_the_delivery(app, tenant, smtp, ready_report):
    report_id, send = ready_report
    smtp.refuse = {"gone@example.net"}
    delivery_id = send(["client@example.com", "gone@example.net"])
    assert len(smtp.messages) == 1  # the others got it
    delivery, report = _rows(app, delivery_id, report_id)
    assert delivery.status == "sent" and report.status == "sent"
    assert "gone@example.net" in delivery.error and "550" in delivery.error


def test_an_smtp_550_is_retried_then_recorded_on_the_delivery(app, tenant, smtp, ready_report):
    from backend.extensions import db
    from backend.models import JobFailure
    from backend.tenancy import cross_tenant

    report_id, send = ready_report
    smtp.fail_next = 99
    delivery_id = send(["client@example.com"])
    assert smtp.messages == []
    delivery, report = _rows(app, delivery_id, report_id)
    assert (delivery.status, delivery.attempts) == ("failed", 4)  # the first attempt and 3 retries
    assert "550" in delivery.error and "example.com" in delivery.error and "client@" not in delivery.error
    assert report.status == "ready" and report.sent_at is None  # not sent: staff can send it again
    with app.app_context(), cross_tenant("test reads the failed job"):
        [failure] = db.session.scalars(select(JobFailure)).all()
    assert (failure.job, failure.agency_id) == ("deliver_report", tenant.agency_id)


def test_a_retry_after_a_failed_attempt_sends_one_message(app, tenant, smtp, ready_report, monkeypatch):
    report_id, send = ready_report
    smtp.fail_next = 1

    real = Inbox.handle_RCPT

    async def once(self, server, session, envelope, address, rcpt_options):
        answer = await real(self, server, session, envelope, address, rcpt_options)
        self.fail_next = 0  # the server recovers after the first refusal
        return answer

    monkeypatch.setattr(Inbox, "handle_RCPT", once)
    delivery_id = send(["client@example.com"])
    assert len(smtp.messages) == 1
    delivery, report = _rows(app, delivery_id, report_id)
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")
    assert report.status == "sent"


def test_a_report_reopened_before_its_email_went_out_is_not_sent(app, tenant, smtp, ready_report, monkeypatch):
    from backend.jobs import report_delivery
    from backend.services import reports
    from backend.tenancy import Principal, acting_as

    report_id, send = ready_report
    queued = []
    monkeypatch.setattr(reports, "_delivery_job", [lambda agency_id, delivery_id: queued.append(delivery_id)])
    delivery_id = send(["client@example.com"])  # queued, not yet run
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        reports.update_report(tenant.company_a.id, report_id, {"status": "draft"})
    report_delivery.deliver_report(tenant.agency_id, queued[0])
    assert smtp.messages == []
    delivery, report = _rows(app, delivery_id, report_id)
    assert delivery.status == "failed" and "reopened as a draft" in delivery.error
    assert report.status == "draft"


def test_a_sent_report_is_published_to_the_webhooks_once(app, tenant, smtp, ready_report):
    """``report.sent`` after the delivery's commit, with the report, its period and the delivery;
    signed, and nothing for an endpoint of the other company."""
    from standardwebhooks.webhooks import Webhook

    from backend.services import webhooks
    from backend.tenancy import Principal, acting_as
    from tests.support.webhook_receiver import start_receiver, stop_receiver

    receiver, other = start_receiver(), start_receiver()
    try:
        with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
            _endpoint, secret = webhooks.create_endpoint({"url": receiver.url, "events": ["report.sent"]})
            webhooks.create_endpoint({"url": other.url, "events": ["report.sent"], "company_id": tenant.company_b.id})
        report_id, send = ready_report
        delivery_id = send(["client@example.com"])
    finally:
        stop_receiver(receiver)
        stop_receiver(other)
    [got] = receiver.received
    body = Webhook(secret).verify(got.body, got.headers)
    assert body["type"] == "report.sent"
    assert body["data"] | {"sent_at": None} == {
        "report_id": str(report_id), "company_id": str(tenant.company_a.id), "delivery_id": str(delivery_id),
        "recipients": 1, "schedule_id": None, "sent_at": None, "period_kind": "month",
        "period_start": "2026-10-01", "period_end": "2026-10-31"}
    assert other.received == []
