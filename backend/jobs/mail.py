"""Sending e-mail (the message is composed and checked by backend/services/mail.py).

``queue_email(email)`` — or ``send(...)``, which composes first — enqueues ``send_email`` (an
agency's message: its last failure shows on the agency's /manage/jobs) or ``send_system_email``
(no agency: operators see it on /healthz). An SMTP error raises, so the message is retried with
backoff (30 s, 60 s, 120 s) and recorded as a failed job after the last attempt.

A retry never sends twice: the outbox backend skips a message id whose file exists; for SMTP the
id is recorded in the queue's storage (``<queue>.mail.sent.<id>``, the SQLite queue file or
Redis, shared by every consumer) as soon as the server has accepted the message, and an id found
there is not sent again. Only a crash between the server's acceptance and that record (a
millisecond) can send a message twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from flask import current_app

from ..services.mail import Email, compose, mail_backend, send_smtp, write_outbox
from .queue import agency_job, huey, system_job

log = logging.getLogger("reachboard.mail")


def sent_key(message_id: str) -> str:
    return f"{huey.name}.mail.sent.{message_id}"


def deliver(email: Email, refused: dict[str, str] | None = None) -> bool:
    """Send the message with the configured backend now; False when it was sent before. The
    recipients the SMTP server refused while accepting others are added to ``refused``."""
    if mail_backend(current_app.config) == "outbox":
        return write_outbox(email)
    key = sent_key(email.message_id)
    if huey.get(key, peek=True) is not None:
        log.info("e-mail %s was sent before; not sent again", email.message_id)
        return False
    turned_down = send_smtp(email)
    huey.put(key, dt.datetime.now(dt.UTC).isoformat())
    if refused is not None:
        refused.update(turned_down)
    return True


@agency_job("send_email")
def send_email(agency_id: uuid.UUID, email: Email) -> None:
    """An agency's message (reports)."""
    deliver(email)


@system_job("send_system_email")
def send_system_email(email: Email) -> None:
    """A message of no agency."""
    deliver(email)


def queue_email(email: Email) -> None:
    """Enqueue the message — after the caller's transaction has committed."""
    if email.agency_id is not None:
        send_email(email.agency_id, email)
    else:
        send_system_email(email)


def send(**kwargs: Any) -> Email:
    """Compose (:func:`backend.services.mail.compose`, which may raise ValidationFailed) and
    enqueue; the composed message is returned (its ``message_id`` names it)."""
    email = compose(**kwargs)
    queue_email(email)
    return email
