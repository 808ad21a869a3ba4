"""E-mail (backend/services/mail.py, backend/jobs/mail.py): a real SMTP server in-process
(aiosmtpd) receives what the send_email job sends, parsed with the email package; an SMTP refusal
is retried and recorded as the agency's failed job; the outbox backend writes parseable .eml
files; sending is idempotent per message id; invalid addresses are named."""
from __future__ import annotations

import logging
import socket
import uuid
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


class Inbox:
    """An aiosmtpd handler: keeps what arrives; ``refuse`` answers 550 to every recipient."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _configure(app, **settings):
    from backend.services.mail import init_mail

    for key, value in settings.items():
        app.config[key] = value
    init_mail(app)


@pytest.fixture
def smtp(app, smtp_server):
    """The session app sends through the in-process SMTP server; restored afterwards."""
    from backend.jobs import init_jobs

    inbox, port = smtp_server
    inbox.messages.clear()
    inbox.refuse = False
    saved = {k: app.config.get(k) for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS")}
    init_jobs(app)  # a fresh in-memory queue: no message id recorded as sent by another test
    _configure(app, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    yield inbox
    _configure(app, **saved)


def _report_email(agency_id, **overrides):
    from backend.services.mail import Attachment

    fields = dict(to=["Client.Person@Example.com", "boss@example.org"], subject="November report — Northwind",
                  html="<h1>Followers grew 12 %</h1><p>5 of 8 sub-goals are on track.</p>",
                  text="Followers grew 12 %\n5 of 8 sub-goals are on track.", sender_name="Åsa & Co, Ltd",
                  reply_to="account.manager@example.com", agency_id=agency_id,
                  attachments=[Attachment("report-2026-11.pdf", "application/pdf", PDF)])
    fields.update(overrides)
    return fields


def _parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_a_report_email_arrives_at_the_smtp_server_through_the_job(app, tenants, smtp):
    from backend.jobs import mail

    acme, _ = tenants
    with app.app_context():
        sent = mail.send(**_report_email(acme.agency_id))
    assert len(smtp.messages) == 1
    message = _parse(smtp.messages[0])
    assert message["Subject"] == "November report — Northwind"
    assert parseaddr(str(message["From"])) == ("Åsa & Co, Ltd", "reachboard@localhost")
    assert str(message["Reply-To"]) == "account.manager@example.com"
    assert sorted(a.strip() for a in str(message["To"]).split(",")) == ["Client.Person@example.com",
                                                                       "boss@example.org"]
    assert message["X-Reachboard-Agency"] == str(acme.agency_id)
    assert message["Message-ID"] == f"<{sent.message_id}@localhost>"
    plain = message.get_body(("plain",)).get_content()
    assert plain.splitlines() == ["Followers grew 12 %", "5 of 8 sub-goals are on track."]
    assert "<h1>Followers grew 12 %</h1>" in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report-2026-11.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == PDF
    # A retry of a message the server accepted sends nothing again.
    with app.app_context():
        assert mail.deliver(sent) is False
    assert len(smtp.messages) == 1


def test_an_smtp_refusal_is_retried_then_recorded_naming_the_domain_only(app, tenants, smtp, caplog, monkeypatch):
    from backend.extensions import db
    from backend.jobs import mail
    from backend.jobs.mail import send_email
    from backend.models import JobFailure
    from backend.tenancy import cross_tenant

    acme, _ = tenants
    smtp.refuse = True
    monkeypatch.setattr(send_email.task_class, "default_retry_delay", 0)  # the retries at once
    caplog.set_level(logging.WARNING, logger="reachboard.mail")
    with app.app_context():
        mail.send(**_report_email(acme.agency_id, to=["bounce.me@example.net"]))
    assert smtp.messages == []
    refusals = [r.getMessage() for r in caplog.records if r.name == "reachboard.mail"]
    assert len(refusals) == 4  # the first attempt and 3 retries
    assert all("example.net" in r and "bounce.me" not in r and "Followers" not in r for r in refusals)
    with app.app_context(), cross_tenant("test: the recorded failure"):
        [failure] = db.session.scalars(select(JobFailure)).all()
    assert (failure.job, failure.agency_id, failure.attempts) == ("send_email", acme.agency_id, 4)
    assert "550" in failure.error and "example.net" in failure.error and "bounce.me" not in failure.error
    # Once the server accepts, the same message goes out once.
    smtp.refuse = False
    with app.app_context():
        mail.send(**_report_email(acme.agency_id, to=["bounce.me@example.net"], message_id="report-42-2026-11"))
        mail.send(**_report_email(acme.agency_id, to=["bounce.me@example.net"], message_id="report-42-2026-11"))
    assert len(smtp.messages) == 1


def test_the_outbox_backend_writes_one_parseable_eml_file_per_message(app, tenants, outbox):
    from backend.jobs import mail

    acme, _ = tenants
    with app.app_context():
        first = mail.send(**_report_email(acme.agency_id, subject="First"))
        mail.send(**_report_email(acme.agency_id, subject="Second"))
        assert mail.deliver(first) is False  # already in the outbox
    files = sorted(outbox.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no temporary file left behind
    assert files[0].name.endswith(f"-{first.message_id}.eml")
    messages = [_parse(f.read_bytes()) for f in files]
    assert [m["Subject"] for m in messages] == ["First", "Second"]  # names sort by time
    assert messages[0].get_body(("plain",)).get_content().startswith("Followers grew 12 %")
    assert list(messages[0].iter_attachments())[0].get_payload(decode=True) == PDF


@pytest.mark.parametrize("field, value, named", [
    ("to", ["good@example.com", "not-an-address"], "recipients.1"),
    ("to", ["someone@@example.com"], "recipients.0"),
    ("to", [], "recipients"),
    ("reply_to", "reply@", "reply_to"),
    ("subject", "Hello\r\nBcc: victim@example.com", "subject"),
])
def test_an_invalid_address_or_header_is_refused_naming_it(app, field, value, named):
    from backend.services import mail
    from backend.services.errors import ValidationFailed

    with app.app_context(), pytest.raises(ValidationFailed) as caught:
        mail.compose(**_report_email(uuid.uuid4(), **{field: value}))
    assert caught.value.status == 422
    assert caught.value.errors[0]["field"] == named
    if field in ("to", "reply_to") and value:
        bad = value[-1] if isinstance(value, list) else value
        assert repr(bad) in caught.value.detail


def test_the_backend_follows_the_settings():
    from backend.services.mail import mail_backend

    assert mail_backend({}) == "outbox"
    assert mail_backend({"MAIL_SERVER": "smtp.example.com"}) == "smtp"
    with pytest.raises(ValueError):
        mail_backend({"MAIL_BACKEND": "smtp"})
    with pytest.raises(ValueError):
        mail_backend({"MAIL_BACKEND": "pigeon"})
