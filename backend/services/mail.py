"""E-mail: compose a message (HTML with a plain-text part, a sender name, attachments, reply-to),
validate its addresses; the job that sends it (backend/jobs/mail.py: ``queue_email``) delivers it
with Flask-Mail through one of the backends here.

Two backends, chosen by ``MAIL_BACKEND`` (config.py): ``smtp`` (production: ``MAIL_SERVER``) or
``outbox`` (the default without a server): each message becomes an ``.eml`` file under
``MAIL_OUTBOX_DIR``, written atomically, named so that names sort by time; /manage/outbox shows
them in development (backend/services/outbox.py).

Sending is idempotent per message id (a retry after a partial failure never sends twice):
the outbox backend skips a message whose file exists; for SMTP the job records the id in the job
queue's storage once the server has accepted the message and skips an id found there
(docs/operations.md, "E-mail").
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

import flask_mail
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app, has_app_context

from .errors import ValidationFailed

log = logging.getLogger("reachboard.mail")

BACKENDS = ("smtp", "outbox")
DEFAULT_SENDER_NAME = "Reachboard"
MAX_RECIPIENTS = 50
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024  # all attachments together
MESSAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
AGENCY_HEADER = "X-Reachboard-Agency"
MESSAGE_HEADER = "X-Reachboard-Message"
# Headers the message itself sets: ``compose(headers=...)`` may not replace them.
RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "reply-to", "message-id", "date", "sender",
                    "content-type", "mime-version", "content-transfer-encoding",
                    AGENCY_HEADER.lower(), MESSAGE_HEADER.lower()}

mail = flask_mail.Mail()


class MailDeliveryError(RuntimeError):
    """The SMTP server refused or failed: names the recipients' domains, never the message."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with the message; with a ``content_id`` it is shown inline where the HTML
    says ``<img src="cid:...">`` (an agency's logo)."""

    filename: str
    mimetype: str
    data: bytes
    content_id: str = ""


@dataclass(frozen=True)
class Email:
    """A message ready to send (pickled onto the queue: plain values only)."""

    message_id: str
    to: tuple[str, ...]
    subject: str
    html: str
    text: str
    sender_name: str = DEFAULT_SENDER_NAME
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    agency_id: uuid.UUID | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())  # extra ones, e.g. List-Unsubscribe


def init_mail(app: Flask) -> None:
    """Called by create_app: check the backend and wire Flask-Mail (it never suppresses sending:
    the outbox backend is how development and the tests keep mail from leaving)."""
    backend = mail_backend(app.config)
    app.config["MAIL_SUPPRESS_SEND"] = False
    mail.init_app(app)
    app.extensions["reachboard_mail_backend"] = backend


def mail_backend(config: Mapping[str, Any]) -> str:
    backend = str(config.get("MAIL_BACKEND") or ("smtp" if config.get("MAIL_SERVER") else "outbox"))
    if backend not in BACKENDS:
        raise ValueError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)} (got {backend!r})")
    if backend == "smtp" and not config.get("MAIL_SERVER"):
        raise ValueError("MAIL_BACKEND=smtp needs MAIL_SERVER")
    return backend


# --- composing ------------------------------------------------------------------------------

def valid_address(address: str, field_name: str) -> str:
    """The address, normalised; ValidationFailed naming it when it is not an e-mail address."""
    # ``.test`` domains (the demo's) are refused in production only.
    testing = not has_app_context() or current_app.config.get("ENV_NAME") != "production"
    try:
        return str(validate_email(str(address), check_deliverability=False, test_environment=testing).normalized)
    except EmailNotValidError as exc:
        raise ValidationFailed.field(field_name, f"{address!r} is not a valid e-mail address ({exc})") from None


def _one_line(value: str, field_name: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValidationFailed.field(field_name, "must be one line")
    return value.strip()


def compose(*, to: list[str] | tuple[str, ...], subject: str, html: str, text: str,
            sender_name: str = DEFAULT_SENDER_NAME, reply_to: str | None = None,
            attachments: list[Attachment] | tuple[Attachment, ...] = (), agency_id: uuid.UUID | None = None,
            message_id: str | None = None, headers: Mapping[str, str] | None = None) -> Email:
    """A checked message. ``message_id`` makes sending idempotent: give a stable one (e.g. the
    report and its period) when the same message may be composed again; a new one otherwise.

    :raises ValidationFailed: an invalid recipient or reply-to (named), no recipient, too many,
        a header with a line break, attachments over the limit.
    """
    if not to:
        raise ValidationFailed.field("recipients", "Give at least one recipient.")
    if len(to) > MAX_RECIPIENTS:
        raise ValidationFailed.field("recipients", f"At most {MAX_RECIPIENTS} recipients.")
    extra = tuple((_header_name(name), _one_line(str(value), f"headers.{name}"))
                  for name, value in (headers or {}).items())
    recipients = tuple(dict.fromkeys(valid_address(a, f"recipients.{i}") for i, a in enumerate(to)))
    reply = valid_address(reply_to, "reply_to") if reply_to else None
    if message_id is None:
        message_id = uuid.uuid4().hex
    if not MESSAGE_ID.match(message_id):
        raise ValidationFailed.field("message_id", "letters, digits, '.', '_' and '-' only, at most 100")
    if sum(len(a.data) for a in attachments) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed.field("attachments", f"at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB together")
    for i, a in enumerate(attachments):
        _one_line(a.filename, f"attachments.{i}.filename")
        if a.content_id and not MESSAGE_ID.match(a.content_id):
            raise ValidationFailed.field(f"attachments.{i}.content_id", "letters, digits, '.', '_' and '-' only")
        if not re.match(r"^[\w.+-]+/[\w.+-]+$", a.mimetype):
            raise ValidationFailed.field(f"attachments.{i}.mimetype", f"{a.mimetype!r} is not a MIME type")
    return Email(message_id=message_id, to=recipients, subject=_one_line(subject, "subject"), html=html, text=text,
                 sender_name=_one_line(sender_name, "sender_name") or DEFAULT_SENDER_NAME, reply_to=reply,
                 attachments=tuple(attachments), agency_id=agency_id, headers=extra)


def _header_name(name: str) -> str:
    if not re.match(r"^[A-Za-z][A-Za-z0-9-]{0,60}$", name) or name.lower() in RESERVED_HEADERS:
        raise ValidationFailed.field("headers", f"{name!r} is not a header a message may add")
    return name


# --- delivering (in the job) ----------------------------------------------------------------

def sender_address(config: Mapping[str, Any]) -> str:
    return parseaddr(str(config.get("MAIL_DEFAULT_SENDER") or "reachboard@localhost"))[1]


def build_message(email: Email) -> flask_mail.Message:
    """The Flask-Mail message: multipart/alternative (plain, HTML) plus the attachments."""
    address = sender_address(current_app.config)
    domain = address.rpartition("@")[2] or "reachboard"
    headers = {**dict(email.headers), MESSAGE_HEADER: email.message_id}
    if email.agency_id is not None:
        headers[AGENCY_HEADER] = str(email.agency_id)
    message = flask_mail.Message(
        subject=email.subject, recipients=list(email.to), body=email.text, html=email.html,
        sender=formataddr((email.sender_name, address)), reply_to=email.reply_to, extra_headers=headers,
        attachments=[flask_mail.Attachment(filename=a.filename, content_type=a.mimetype, data=a.data,
                                           disposition="inline" if a.content_id else None,
                                           headers={"Content-ID": f"<{a.content_id}>"} if a.content_id else None)
                     for a in email.attachments])
    message.msgId = f"<{email.message_id}@{domain}>"  # the same on every attempt
    return message


def outbox_dir(config: Mapping[str, Any]) -> Path:
    return Path(str(config["MAIL_OUTBOX_DIR"]))


def write_outbox(email: Email) -> bool:
    """The message as an .eml file in the outbox (written to a temporary name, then renamed);
    False when a file of this message id is there already."""
    folder = outbox_dir(current_app.config)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.glob(f"*-{email.message_id}.eml")):
        return False
    message = build_message(email)
    message.date = dt.datetime.now(dt.UTC).timestamp()
    name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}Z-{email.message_id}.eml"
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(message.as_bytes())
    os.replace(temporary, folder / name)  # readers never see half a file
    log.info("e-mail %s written to the outbox (%d recipient(s))", email.message_id, len(email.to))
    return True


def send_smtp(email: Email) -> dict[str, str]:
    """Hand the message to the SMTP server (``MAIL_SERVER``); returns the recipients the server
    refused while accepting the others (address -> its reply, e.g. ``550 5.1.1 unknown``).

    :raises MailDeliveryError: refused or unreachable; says the recipients' domains and the
        server's reply (addresses cut to their domain), never the message.
    """
    domains = ", ".join(sorted({a.rpartition("@")[2] for a in email.to}))
    try:
        with _TimedConnection(current_app.extensions["mail"]) as connection:
            connection.send(build_message(email))
            refused = connection.refused
    except (smtplib.SMTPException, OSError) as exc:
        reason = _scrub(_describe(exc), email.to)
        log.warning("e-mail %s to %s failed: %s", email.message_id, domains, reason)
        raise MailDeliveryError(f"SMTP delivery to {domains} failed: {reason}") from None
    if refused:
        log.warning("e-mail %s: the server refused %d of %d recipient(s)", email.message_id, len(refused),
                    len(email.to))
    log.info("e-mail %s sent to %s", email.message_id, domains)
    return refused


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({f"{code} {reply.decode(errors='replace')}" for code, reply in exc.recipients.values()})
        return f"recipients refused: {'; '.join(codes)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{type(exc).__name__} {exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"


def _scrub(text: str, addresses: tuple[str, ...]) -> str:
    """The server's reply may quote an address: keep its domain only."""
    for address in addresses:
        text = text.replace(address, "…@" + address.rpartition("@")[2])
    return text[:500]


class _TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout (``MAIL_TIMEOUT``): a silent server must
    fail the attempt (and be retried), not hold a worker thread for ever."""

    refused: dict[str, str] = {}

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        host = self._open_host()
        accept = host.sendmail

        def sendmail(*args: Any, **kwargs: Any) -> dict[str, tuple[int, bytes]]:
            # Flask-Mail drops smtplib's answer: the recipients refused while others were accepted.
            answer = accept(*args, **kwargs)
            self.refused = {address: f"{code} {reply.decode(errors='replace')}"[:300]
                            for address, (code, reply) in (answer or {}).items()}
            return answer

        host.sendmail = sendmail  # type: ignore[method-assign]
        return host

    def _open_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        state, timeout = self.mail, float(current_app.config.get("MAIL_TIMEOUT") or 30)
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host
