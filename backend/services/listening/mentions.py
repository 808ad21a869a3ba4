"""Mentions: the push (upsert on ``(source, external_id)``, all or nothing), the list with its
filters, search and cursor, the inbox, answering and assigning, deleting, and an author's erasure.

Every write runs in one transaction: the mentions, their pushed or manual topic tags, the rule
tags (``topics.tag_mentions``), the daily counts of every channel-day touched
(``rollup.refresh``: the records win for the days they cover) and the audit entry, committed
once. CSV import and export: csvio.py; the checks of a pushed mention: validation.py.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import uuid
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ...extensions import db
from ...models import AgencyMembership, Channel, Company, Mention, MentionTopic, Report, Topic, User, utcnow
from ...models.listening import SENTIMENTS
from ...tenancy import current_principal
from .. import audit
from ..companies import get_company
from ..errors import NotFound, TooLarge, ValidationFailed
from . import upsert
from .countries import is_country
from .validation import BadTopics, MentionRow, MentionValidator, topic_names

log = logging.getLogger(__name__)

MAX_MENTIONS_PER_PUSH = 1_000
LIST_LIMIT_MAX = 200
LOOKUP_CHUNK = 500
RETRYABLE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
WRITE_ATTEMPTS = 3
WRITE_GRANT = "Changing mentions needs an API key with write or admin, or an agency staff login."
ChannelDay = tuple[uuid.UUID, dt.date]


# --- push --------------------------------------------------------------------------------------
def push_mentions(company_id: uuid.UUID | str, items: object) -> dict[str, int]:
    """Upsert a batch of mentions, all or nothing; a known ``(source, external_id)`` is updated.

    :returns: ``{"received", "created", "updated", "unchanged"}``
    :raises ValidationFailed: ``errors=[{"index", "field", "message"}]``; nothing is written.
    :raises TooLarge: more than 1,000 mentions.
    """
    p = current_principal()
    company = get_company(company_id)
    p.require("write", WRITE_GRANT)
    if not isinstance(items, list):
        raise ValidationFailed.field("mentions", "Must be a list of mentions.")
    if len(items) > MAX_MENTIONS_PER_PUSH:
        raise TooLarge(f"A push takes at most {MAX_MENTIONS_PER_PUSH:,} mentions; this one has {len(items):,}. "
                       "Split it into several requests.", limit=MAX_MENTIONS_PER_PUSH)
    validator = MentionValidator(company)
    validator.check(items)
    validator.raise_if_invalid()
    return write_mentions(company, validator.rows, "mentions.push", f"Pushed {len(items)} mentions")


def write_mentions(company: Company, rows: list[MentionRow], action: str, summary: str) -> dict[str, int]:
    """Upsert valid rows, tag, refresh the daily counts and audit in one transaction; retried when
    a concurrent push created the same mention first or PostgreSQL reports a deadlock."""
    attempt = 0
    while True:
        try:
            created, updated, unchanged = upsert.apply(company, rows)
            if created or updated:
                audit.record(action, object_type="company", object_id=company.id, company_id=company.id,
                             summary=f"{summary}: {created} created, {updated} updated, {unchanged} unchanged")
            db.session.commit()
            break
        except DBAPIError as err:
            db.session.rollback()
            attempt += 1
            code = getattr(err.orig, "sqlstate", None)
            if attempt >= WRITE_ATTEMPTS or not (isinstance(err, IntegrityError) or code in RETRYABLE_SQLSTATES):
                raise
            log.warning("mentions write retried after %s (attempt %d)", code or "a unique key taken", attempt)
    if created or updated:
        _after_write(company.id)
    return {"received": len(rows), "created": created, "updated": updated, "unchanged": unchanged}


def _after_write(company_id: uuid.UUID) -> None:
    """After the commit: the daily counts changed, so what listens to metric writes (the alert
    evaluation) hears it."""
    from . import rollup

    rollup.after_commit(company_id)


# --- reads -------------------------------------------------------------------------------------
def encode_cursor(kind: str, mention: Mention) -> str:
    raw = json.dumps([kind, mention.published_at.isoformat(), mention.seq], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> tuple[dt.datetime, int]:
    """The (published_at, seq) a cursor of this list continues after; 422 ``cursor`` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_kind, stamp, seq = json.loads(raw)
        at = dt.datetime.fromisoformat(stamp)
        if got_kind != kind or type(seq) is not int or not 0 < seq < 2**63 or at.tzinfo is not None:
            raise ValueError(cursor)
        return at, seq
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.field("cursor", "Not a cursor of this list: use next_cursor as it was sent, or "
                                               "leave it out to start from the beginning.") from None


def _channel_id(company_id: uuid.UUID, key: str) -> uuid.UUID:
    found = db.session.scalar(select(Channel.id).where(Channel.company_id == company_id, Channel.key == key))
    if found is None:
        raise ValidationFailed.field("channel", f"No channel '{key[:64]}' in this company.")
    return found


def _topic_id(company_id: uuid.UUID, topic: str | uuid.UUID) -> uuid.UUID:
    """A topic of the company by id or by name (case-insensitive); 422 ``topic`` otherwise."""
    stmt = select(Topic.id).where(Topic.company_id == company_id)
    try:
        tid = topic if isinstance(topic, uuid.UUID) else uuid.UUID(str(topic))
        found = db.session.scalar(stmt.where(Topic.id == tid))
    except ValueError:
        found = None
    if found is None:
        found = db.session.scalar(stmt.where(func.lower(Topic.name) == str(topic).strip().lower()))
    if found is None:
        raise ValidationFailed.field("topic", "No topic with this id or name in this company.")
    return found


def filtered(company_id: uuid.UUID, *, channel: str | None = None, sentiment: str | None = None,
             topic: str | uuid.UUID | None = None, country: str | None = None, answered: bool | None = None,
             author: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
             q: str | None = None) -> Select[Mention]:
    """The company's mentions matching the filters (unordered); 422 naming a filter that is wrong."""
    stmt = select(Mention).where(Mention.company_id == company_id)
    if channel:
        stmt = stmt.where(Mention.channel_id == _channel_id(company_id, channel))
    if sentiment:
        if sentiment not in SENTIMENTS:
            raise ValidationFailed.field("sentiment", f"Must be one of: {', '.join(SENTIMENTS)}.")
        stmt = stmt.where(Mention.sentiment == sentiment)
    if topic:
        topic_id = _topic_id(company_id, topic)
        stmt = stmt.where(Mention.seq.in_(select(MentionTopic.mention_seq).where(
            MentionTopic.company_id == company_id, MentionTopic.topic_id == topic_id)))
    if country:
        code = country.strip().upper()
        if not is_country(code):
            raise ValidationFailed.field("country", "Must be an ISO 3166-1 alpha-2 country code, such as SE.")
        stmt = stmt.where(Mention.country == code)
    if answered is not None:
        stmt = stmt.where(Mention.answered_at.is_not(None) if answered else Mention.answered_at.is_(None))
    if author:
        stmt = stmt.where(Mention.author_handle == author.strip())
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed.field("to", "Must not be before 'from'.")
    if date_from:
        stmt = stmt.where(Mention.day >= date_from)
    if date_to:
        stmt = stmt.where(Mention.day <= date_to)
    if q is not None and q.strip():
        from .search import text_condition

        stmt = stmt.where(text_condition(q))
    return stmt


def _check_limit(limit: int) -> None:
    if type(limit) is not int or not 1 <= limit <= LIST_LIMIT_MAX:
        raise ValidationFailed.field("limit", f"Must be from 1 to {LIST_LIMIT_MAX}.")


def list_mentions(company_id: uuid.UUID | str, *, channel: str | None = None, sentiment: str | None = None,
                  topic: str | uuid.UUID | None = None, country: str | None = None, answered: bool | None = None,
                  author: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
                  q: str | None = None, cursor: str | None = None, limit: int = 50
                  ) -> tuple[list[Mention], str | None]:
    """One page of the company's mentions, newest first by (published_at, seq), and the cursor of
    the next page (None on the last). Filters: channel (key), sentiment, topic (id or name),
    country, answered, author (handle), date_from/date_to (the company's days), q (search)."""
    company = get_company(company_id)
    _check_limit(limit)
    stmt = filtered(company.id, channel=channel, sentiment=sentiment, topic=topic, country=country,
                    answered=answered, author=author, date_from=date_from, date_to=date_to, q=q)
    if cursor:
        at, seq = decode_cursor("new", cursor)
        stmt = stmt.where(or_(Mention.published_at < at, (Mention.published_at == at) & (Mention.seq < seq)))
    page = list(db.session.scalars(stmt.order_by(Mention.published_at.desc(), Mention.seq.desc()).limit(limit + 1)))
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor("new", page[-1]) if more else None


def inbox(company_id: uuid.UUID | str, *, limit: int = 50, cursor: str | None = None
          ) -> tuple[list[Mention], str | None]:
    """The unanswered mentions, oldest first (the longest waiting on top), and the next cursor."""
    company = get_company(company_id)
    _check_limit(limit)
    stmt = filtered(company.id, answered=False)
    if cursor:
        at, seq = decode_cursor("inbox", cursor)
        stmt = stmt.where(or_(Mention.published_at > at, (Mention.published_at == at) & (Mention.seq > seq)))
    page = list(db.session.scalars(stmt.order_by(Mention.published_at, Mention.seq).limit(limit + 1)))
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor("inbox", page[-1]) if more else None


def get_mention(company_id: uuid.UUID | str, mention_id: uuid.UUID | str) -> Mention:
    """A mention of the company; 404 for anything else (another company's, a junk id)."""
    company = get_company(company_id)
    try:
        mid = mention_id if isinstance(mention_id, uuid.UUID) else uuid.UUID(str(mention_id))
    except ValueError:
        raise NotFound("No mention with this id.") from None
    found = db.session.scalars(select(Mention).where(Mention.company_id == company.id, Mention.id == mid)).first()
    if found is None:
        raise NotFound("No mention with this id.")
    return found


def details(company_id: uuid.UUID, mentions: list[Mention]) -> dict[int, dict[str, Any]]:
    """{seq: {"channel": key, "topics": [{"id", "name", "tagged_by"}]}} for showing mentions."""
    keys = dict(db.session.execute(select(Channel.id, Channel.key).where(Channel.company_id == company_id)).all())
    out: dict[int, dict[str, Any]] = {m.seq: {"channel": keys.get(m.channel_id, ""), "topics": []} for m in mentions}
    seqs = list(out)
    for start in range(0, len(seqs), LOOKUP_CHUNK):
        stmt = (select(MentionTopic.mention_seq, Topic.id, Topic.name, MentionTopic.tagged_by)
                .join(Topic, Topic.id == MentionTopic.topic_id)
                .where(MentionTopic.company_id == company_id, MentionTopic.mention_seq.in_(seqs[start:start + 500]))
                .order_by(Topic.name))
        for seq, tid, name, by in db.session.execute(stmt):
            out[seq]["topics"].append({"id": tid, "name": name, "tagged_by": by})
    return out


# --- changes -----------------------------------------------------------------------------------
UPDATABLE = ("answered", "assigned_to", "topics")


def _staff_user(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        uid = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed.field("assigned_to", "Must be the id of a person of the agency's staff.") from None
    found = db.session.scalar(select(User.id).join(AgencyMembership, AgencyMembership.user_id == User.id)
                              .where(User.id == uid, User.active.is_(True)))
    if found is None:
        raise ValidationFailed.field("assigned_to", "Must be the id of an active person of the agency's staff "
                                                    "(owner, admin or member).")
    return uid


def update_mention(company_id: uuid.UUID | str, mention_id: uuid.UUID | str, data: dict[str, Any]) -> Mention:
    """Mark answered (``answered``: true stamps now and who; false clears), assign (``assigned_to``:
    a staff user's id or null) and set the topics (``topics``: names; replaces the manual and
    pushed tags, rule tags stay)."""
    from . import rollup, topics

    p = current_principal()
    mention = get_mention(company_id, mention_id)
    p.require("write", WRITE_GRANT)
    unknown = sorted(str(k) for k in data if k not in UPDATABLE)
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: Unknown field.",
                               errors=[{"field": name, "message": "Unknown field."} for name in unknown])
    changes: list[str] = []
    if "answered" in data:
        if not isinstance(data["answered"], bool):
            raise ValidationFailed.field("answered", "Must be true or false.")
        if data["answered"] and mention.answered_at is None:
            mention.answered_at, mention.answered_by = utcnow(), p.label[:254]
            changes.append("marked answered")
        elif not data["answered"] and mention.answered_at is not None:
            mention.answered_at, mention.answered_by = None, ""
            changes.append("marked unanswered")
    if "assigned_to" in data:
        assignee = _staff_user(data["assigned_to"])
        if assignee != mention.assigned_to_id:
            mention.assigned_to_id = assignee
            changes.append("assigned" if assignee else "unassigned")
    if "topics" in data:
        try:
            names = topic_names(data["topics"])
        except BadTopics as bad:
            raise ValidationFailed.field(bad.field, bad.message) from None
        ids = upsert.topic_ids(mention.company_id, names)
        current = upsert.tags(mention.company_id, [mention.seq]).get(mention.seq, {})
        # The manual and pushed tags become exactly these names (manual now); rule tags stay.
        wanted = {ids[n.casefold()] for n in names}
        for tag in current.values():
            if tag.topic_id in wanted and tag.tagged_by == "pushed":
                tag.tagged_by = "manual"
        if upsert.set_tags(mention.company_id, mention.seq, current, wanted, "manual", ("manual", "pushed")):
            changes.append("topics set")
    if changes:
        db.session.flush()
        if "topics set" in changes:
            topics.tag_mentions(mention.company_id, [mention])
        rollup.refresh(mention.company_id, {(mention.channel_id, mention.day)})
        audit.record("mention.update", mention, summary=f"Mention from {mention.source}: {', '.join(changes)}")
        db.session.commit()
        _after_write(mention.company_id)
    return mention


def delete_mention(company_id: uuid.UUID | str, mention_id: uuid.UUID | str) -> None:
    """Delete one mention; the daily counts of its channel and day follow."""
    from . import rollup

    p = current_principal()
    mention = get_mention(company_id, mention_id)
    p.require("write", WRITE_GRANT)
    key, cid, mid, source = (mention.channel_id, mention.day), mention.company_id, mention.id, mention.source
    db.session.execute(delete(MentionTopic).where(MentionTopic.company_id == cid,
                                                  MentionTopic.mention_seq == mention.seq))
    db.session.delete(mention)
    db.session.flush()
    rollup.refresh(cid, {key})
    audit.record("mention.delete", object_type="mention", object_id=mid, company_id=cid,
                 summary=f"Deleted a mention from {source}")
    db.session.commit()
    _after_write(cid)


def erase_author(company_id: uuid.UUID | str, handle: object) -> int:
    """A person's right to erasure: every mention of the company by ``handle`` (matched without
    regard to case) is deleted; returns how many.

    Nothing of theirs is left behind: the daily counts are refreshed for their channel-days; the
    audit entry says how many of "an author's mentions" went (neither the handle nor a text);
    on SQLite the full-text index is optimised after the delete (FTS5 merges its segments, so no
    segment keeps their words — fts5vocab lists none); on PostgreSQL the rows and their tsvector
    go with the delete and autovacuum removes the dead tuples and GIN entries. Every report of
    the company whose period covers one of their days has its stored PDF (which shows example
    mentions) dropped and a new one requested.
    """
    from . import rollup

    p = current_principal()
    company = get_company(company_id)
    p.require("write", WRITE_GRANT)
    if not isinstance(handle, str) or not handle.strip() or len(handle) > 200:
        raise ValidationFailed.field("handle", "Must be the author's handle (1 to 200 characters).")
    wanted = handle.strip().lower()
    found = db.session.execute(select(Mention.seq, Mention.channel_id, Mention.day).where(
        Mention.company_id == company.id, func.lower(Mention.author_handle) == wanted)).all()
    seqs = [seq for seq, _, _ in found]
    keys: set[ChannelDay] = {(channel_id, day) for _, channel_id, day in found}
    for start in range(0, len(seqs), LOOKUP_CHUNK):
        chunk = seqs[start:start + LOOKUP_CHUNK]
        db.session.execute(delete(MentionTopic).where(MentionTopic.company_id == company.id,
                                                      MentionTopic.mention_seq.in_(chunk)))
        db.session.execute(delete(Mention).where(Mention.company_id == company.id, Mention.seq.in_(chunk)))
    reports: list[Report] = []
    if seqs:
        rollup.refresh(company.id, keys)
        reports = drop_report_pdfs(company.id, {day for _, day in keys})
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(text("INSERT INTO mention_fts(mention_fts) VALUES ('optimize')"))
    audit.record("mentions.erase_author", object_type="company", object_id=company.id, company_id=company.id,
                 summary=f"Erased an author's mentions: {len(seqs)} deleted"
                         + remade_pdfs(len(reports)))
    db.session.commit()
    if seqs:
        _after_write(company.id)
    if reports:
        from ...reporting import request_pdf

        for report in reports:
            request_pdf(report)
    return len(seqs)


def remade_pdfs(count: int) -> str:
    """The audit summary's tail for ``count`` report PDFs dropped to be made again."""
    return f"; {count} report PDF{'s' if count != 1 else ''} to be made again" if count else ""


def drop_report_pdfs(company_id: uuid.UUID, days: set[dt.date]) -> list[Report]:
    """Reports whose period covers one of ``days``: their stored PDF dropped (a new version)."""
    first, last = min(days), max(days)
    stmt = select(Report).where(Report.company_id == company_id, Report.period_start <= last,
                                Report.period_end >= first)
    out = []
    for report in db.session.scalars(stmt):
        if any(report.period_start <= d <= report.period_end for d in days):
            report.pdf = None
            report.pdf_sha256, report.pdf_rendered_at, report.pdf_pages = "", None, 0
            report.version += 1
            out.append(report)
    return out
