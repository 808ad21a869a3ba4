"""The outbox as an agency's staff see it (/manage/outbox, development only): the ``.eml`` files
the outbox backend wrote (backend/services/mail.py), newest first. The folder is process-wide,
not tenant data, so only messages whose ``X-Reachboard-Agency`` header names the viewer's agency
are listed or shown; anything else answers as if it did not exist."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import current_app

from ..tenancy import current_principal
from . import privileges
from .errors import NotFound
from .mail import AGENCY_HEADER, outbox_dir

OUTBOX_MESSAGE = "Only agency owners and admins see the outbox."
FILE_NAME = re.compile(r"^\d{8}T\d{12}Z-[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.eml$")
SCAN_LIMIT = 2000  # the newest files looked at for a list


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    date: dt.datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class OutboxMessage:
    entry: OutboxEntry
    sender: str
    reply_to: str
    html: str | None
    text: str | None
    attachments: list[tuple[str, str, int]]  # filename, type, bytes


def _agency() -> str:
    principal = current_principal()
    privileges.require_agency_wide(principal, OUTBOX_MESSAGE)  # agency-level, like the people and keys
    principal.require("admin", OUTBOX_MESSAGE)
    return str(principal.agency_id)


def _entry(name: str, headers: Message) -> OutboxEntry:
    try:
        date = parsedate_to_datetime(str(headers["Date"])).astimezone(dt.UTC) if headers["Date"] else None
    except (TypeError, ValueError):
        date = None
    return OutboxEntry(name=name, date=date, to=str(headers["To"] or ""), subject=str(headers["Subject"] or ""))


def _files() -> list[Path]:
    folder = outbox_dir(current_app.config)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if FILE_NAME.match(p.name)), key=lambda p: p.name, reverse=True)


def outbox_messages(limit: int = 100) -> list[OutboxEntry]:
    """The agency's messages in the outbox, newest first (owners and admins)."""
    agency = _agency()
    out: list[OutboxEntry] = []
    parser = BytesHeaderParser(policy=policy.default)
    for path in _files()[:SCAN_LIMIT]:
        with path.open("rb") as handle:
            headers = parser.parse(handle)
        if headers[AGENCY_HEADER] == agency:
            out.append(_entry(path.name, headers))
            if len(out) >= limit:
                break
    return out


def outbox_message(name: str) -> OutboxMessage:
    """One of the agency's messages, parsed: its plain and HTML parts and its attachments.

    :raises NotFound: no such file, or another agency's (or no agency's) message.
    """
    agency = _agency()
    path = outbox_dir(current_app.config) / name
    if not FILE_NAME.match(name) or not path.is_file():
        raise NotFound("No such message in the outbox.")
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    if message[AGENCY_HEADER] != agency:
        raise NotFound("No such message in the outbox.")
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    attachments = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        attachments.append((part.get_filename() or "", part.get_content_type(),
                            len(payload) if isinstance(payload, bytes) else 0))
    return OutboxMessage(entry=_entry(name, message), sender=str(message["From"] or ""),
                         reply_to=str(message["Reply-To"] or ""),
                         html=html.get_content() if isinstance(html, EmailMessage) else None,
                         text=text.get_content() if isinstance(text, EmailMessage) else None,
                         attachments=attachments)
