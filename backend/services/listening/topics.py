"""Topics of a company: a name and keyword rules (words or phrases) that tag mentions.

- A rule matches through the full-text engine (:func:`search.keyword_condition`): stemmed where the
  engine stems ("recall" tags "recalled" and "recalls"), a phrase as a phrase, punctuation as plain
  text. A mention matching any keyword of a topic gets a ``rule`` tag.
- :func:`tag_mentions` runs inside the mentions push (backend/services/listening/mentions.py) for
  the mentions it created or changed: rule tags are added where a rule matches and removed where
  it no longer does; a ``manual`` or ``pushed`` tag is never touched (and a mention tagged so is
  not tagged again by a rule).
- Editing a topic's keywords re-tags the company's mentions of the last ``retag_days`` days (0–90,
  default 90) with :func:`retag`, as a job on the worker (backend/jobs/listening.py), in batches;
  older mentions keep their tags. A new topic with keywords is applied the same way.
- :func:`topic_ids_by_name` finds (and for pushed or manual topics, creates) topics by name,
  case-insensitively.

Staff (the ``write`` grant) manage topics; whoever reads the company reads them (client viewers
too: the Listening page shows them).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import AlertRule, Company, Mention, MentionTopic, Topic
from ...tenancy import current_principal
from .. import audit
from ..companies import get_company
from ..errors import Conflict, NotFound, ValidationFailed
from ..progress import company_today
from ..validation import Problems, check_version
from . import search

log = logging.getLogger("reachboard.listening")

NAME_LIMIT = 80
MAX_KEYWORDS = 50
KEYWORD_LIMIT = 100
RETAG_DAYS_RANGE = (0, 90)
DEFAULT_RETAG_DAYS = 90
BATCH = 500  # mentions per statement (and per transaction in a re-tag)
FIELDS = ("name", "keywords")
_WORD = re.compile(r"[^\W_]", re.UNICODE)  # a letter or a digit
RETAGGING = "retagging_days"  # set on a topic just saved: the days a re-tag job was asked for

# Called after a commit that asks for a re-tag: fn(agency_id, company_id, topic_id, days). The job
# module (backend/jobs/listening.py) adds the one that enqueues the job (the services do not
# import the jobs: they import the services).
RETAG_REQUESTERS: list[Callable[[uuid.UUID, uuid.UUID, uuid.UUID, int], None]] = []


# --- reading ------------------------------------------------------------------------------------

def select_topics(company_id: uuid.UUID | str) -> Select[Topic]:
    """A select of the company's topics, by name."""
    current_principal().require("read")
    company = get_company(company_id)
    return select(Topic).where(Topic.company_id == company.id).order_by(func.lower(Topic.name), Topic.id)


def list_topics(company_id: uuid.UUID | str) -> list[Topic]:
    return list(db.session.scalars(select_topics(company_id)))


def get_topic(company_id: uuid.UUID | str, topic_id: uuid.UUID | str) -> Topic:
    """A topic of this company (another company's, or another agency's, answers NotFound)."""
    current_principal().require("read")
    company = get_company(company_id)
    tid = _uuid(topic_id)
    topic = None if tid is None else db.session.scalars(
        select(Topic).where(Topic.company_id == company.id, Topic.id == tid)).first()
    if topic is None:
        raise NotFound("No topic with this id.")
    return topic


def topic_fields(topic: Topic) -> dict[str, Any]:
    return {"name": topic.name, "keywords": list(topic.keywords or [])}


def _uuid(value: object) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- validating ---------------------------------------------------------------------------------

def _name(problems: Problems, company: Company, value: Any, current: Topic | None) -> str | None:
    name = problems.text("name", value, limit=NAME_LIMIT, required=True)
    if not name:
        return None
    clash = db.session.scalars(select(Topic).where(Topic.company_id == company.id,
                                                   func.lower(Topic.name) == name.lower())).first()
    if clash is not None and (current is None or clash.id != current.id):
        problems.add("name", f"The company already has a topic named '{clash.name}'.")
        return None
    return name


def _keywords(problems: Problems, value: Any) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add("keywords", "Must be a list of words or phrases.")
        return None
    if len(value) > MAX_KEYWORDS:
        problems.add("keywords", f"At most {MAX_KEYWORDS} keywords (this has {len(value)}).")
        return None
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(value):
        keyword = problems.text(f"keywords.{i}", raw, limit=KEYWORD_LIMIT, required=True)
        if keyword is None:
            continue
        if not _WORD.search(keyword):
            problems.add(f"keywords.{i}", "Must hold at least one word (letters or digits).")
            continue
        keyword = " ".join(keyword.split())
        if keyword.lower() not in seen:  # the same rule twice says nothing more
            seen.add(keyword.lower())
            out.append(keyword)
    return out


def _retag_days(problems: Problems, value: Any) -> int | None:
    low, high = RETAG_DAYS_RANGE
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add("retag_days", "Must be a whole number.")
        return None
    if not low <= value <= high:
        problems.add("retag_days", f"Must be from {low} to {high}.")
        return None
    return value


def validate_topic(company: Company, data: dict[str, Any], *, current: Topic | None = None) -> dict[str, Any]:
    """Check a complete topic (for an update: the stored one merged with the changes) without
    writing; the clean column values. 422 naming each bad field (``keywords.3``)."""
    problems = Problems()
    for unknown in sorted(set(data) - set(FIELDS)):
        problems.add(unknown, "Unknown field.")
    out = {"name": _name(problems, company, data.get("name"), current),
           "keywords": _keywords(problems, data.get("keywords"))}
    problems.raise_if_any()
    return out


def _split_retag(data: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The topic's fields and the asked ``retag_days`` (None: not asked), checked."""
    if not isinstance(data, dict):
        raise ValidationFailed.field("body", "Must be an object.")
    fields = {k: v for k, v in data.items() if k != "retag_days"}
    if "retag_days" not in data or data["retag_days"] is None:
        return fields, None
    problems = Problems()
    days = _retag_days(problems, data["retag_days"])
    problems.raise_if_any()
    return fields, days


# --- writing ------------------------------------------------------------------------------------

def _save(topic: Topic) -> None:
    """Flush; a twin request that took the name meanwhile (the unique constraint) is a 422."""
    try:
        with db.session.begin_nested():
            db.session.add(topic)
    except IntegrityError:
        raise ValidationFailed.field("name", "The company already has a topic with this name.") from None


def create_topic(company_id: uuid.UUID | str, data: dict[str, Any]) -> Topic:
    """Add a topic. With keywords, the mentions of the last ``retag_days`` days (default 90) are
    tagged by a job. 422 naming the field on bad input; nothing written then."""
    current_principal().require("write")
    company = get_company(company_id)
    fields, days = _split_retag(data)
    clean = validate_topic(company, fields)
    topic = Topic(company_id=company.id, agency_id=company.agency_id, **clean)
    _save(topic)
    audit.record("topic.create", topic, summary=f"Added the topic '{topic.name}' with {len(topic.keywords)} "
                                                f"keyword rule(s)")
    asked = (DEFAULT_RETAG_DAYS if days is None else days) if topic.keywords else 0
    ref = _ref(topic)
    db.session.commit()
    setattr(topic, RETAGGING, _request_retag(ref, asked))
    return topic


def update_topic(company_id: uuid.UUID | str, topic_id: uuid.UUID | str, data: dict[str, Any], *,
                 expected_version: int | None = None) -> Topic:
    """Change the name or the keywords (``keywords`` replaces the list). Changed keywords re-tag
    the mentions of the last ``retag_days`` days (default 90; 0: none) with a job; ``retag_days``
    alone re-tags without a change."""
    current_principal().require("write")
    topic = get_topic(company_id, topic_id)
    check_version(topic, expected_version, "topic")
    company = get_company(topic.company_id)
    fields, days = _split_retag(data)
    merged = {**topic_fields(topic), **fields}
    clean = validate_topic(company, merged, current=topic)
    changed = [k for k, v in clean.items() if getattr(topic, k) != v]
    for k in changed:
        setattr(topic, k, clean[k])
    if changed:
        topic.version += 1
        _save(topic)
        audit.record("topic.update", topic, summary=f"Changed {', '.join(sorted(changed))} of the topic "
                                                    f"'{topic.name}'")
    if days is None and "keywords" in changed:
        days = DEFAULT_RETAG_DAYS
    ref = _ref(topic)
    db.session.commit()
    setattr(topic, RETAGGING, _request_retag(ref, days or 0))
    return topic


def delete_topic(company_id: uuid.UUID | str, topic_id: uuid.UUID | str, *,
                 expected_version: int | None = None) -> None:
    """Delete a topic and its tags (the mentions stay). An alert rule watching it: 409."""
    current_principal().require("write")
    topic = get_topic(company_id, topic_id)
    check_version(topic, expected_version, "topic")
    watching = [r.name for r in db.session.scalars(
        select(AlertRule).where(AlertRule.company_id == topic.company_id, AlertRule.kind == "spike"))
        if (r.params or {}).get("topic_id") == str(topic.id)]
    if watching:
        raise Conflict(f"The alert rule(s) {', '.join(repr(n) for n in sorted(watching))} watch this topic; "
                       "change or delete them first.")
    audit.record("topic.delete", topic, summary=f"Deleted the topic '{topic.name}'")
    db.session.execute(delete(MentionTopic).where(MentionTopic.company_id == topic.company_id,
                                                  MentionTopic.topic_id == topic.id))
    db.session.delete(topic)
    db.session.commit()


def _ref(topic: Topic) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    return topic.agency_id, topic.company_id, topic.id


def _request_retag(ref: tuple[uuid.UUID, uuid.UUID, uuid.UUID], days: int) -> int | None:
    """Ask for a re-tag of the topic ``ref`` (agency, company, topic); the days asked for, None
    when no job could be asked for (logged: the topic is saved, and the next edit or push tags).
    Called after the commit with plain ids and no transaction open: an inline job (tests,
    JOBS_IMMEDIATE) opens its own connection, which would wait for SQLite's write lock."""
    if days <= 0:
        return None
    if not RETAG_REQUESTERS:
        log.warning("topic %s: no re-tag job is registered (backend.jobs not loaded)", ref[2])
        return None
    try:
        for request in RETAG_REQUESTERS:
            request(*ref, days)
    except Exception:  # noqa: BLE001 - the topic is saved; say so rather than answer 500
        log.exception("topic %s: could not enqueue the re-tag", ref[2])
        return None
    return days


# --- topics by name (pushed and manual tags) ----------------------------------------------------

def topic_ids_by_name(company_id: uuid.UUID | str, names: Iterable[str], *, create: bool) -> dict[str, uuid.UUID]:
    """``{name as given: topic id}`` for the company's topics named so (case-insensitively); with
    ``create``, a name with no topic becomes a topic without rules (in the caller's transaction,
    not committed). Names are stripped; a bad one (empty, over 80 characters) is a 422 on
    ``topics``. Without ``create`` an unknown name is left out."""
    company = get_company(company_id)
    wanted = list(names)
    problems = Problems()
    for i, name in enumerate(wanted):
        problems.text(f"topics.{i}", name, limit=NAME_LIMIT, required=True)
    problems.raise_if_any()
    if not wanted:
        return {}
    known = {t.name.lower(): t.id for t in db.session.scalars(select(Topic).where(Topic.company_id == company.id))}
    out: dict[str, uuid.UUID] = {}
    for name in wanted:
        key = name.strip().lower()
        if key not in known and create:
            topic = Topic(company_id=company.id, agency_id=company.agency_id, name=name.strip(), keywords=[])
            try:
                with db.session.begin_nested():
                    db.session.add(topic)
                known[key] = topic.id  # the push's own audit entry tells
            except IntegrityError:  # a twin push created it meanwhile
                found = db.session.scalar(select(Topic.id).where(Topic.company_id == company.id,
                                                                 func.lower(Topic.name) == key))
                if found is not None:
                    known[key] = found
        if key in known:
            out[name] = known[key]
    return out


# --- tagging ------------------------------------------------------------------------------------

def _rule_topics(company_id: uuid.UUID, topic_ids: Sequence[uuid.UUID] | None = None) -> list[Topic]:
    stmt = select(Topic).where(Topic.company_id == company_id).order_by(Topic.id)
    if topic_ids is not None:
        stmt = stmt.where(Topic.id.in_(topic_ids))
    return list(db.session.scalars(stmt))


def _apply_rules(company_id: uuid.UUID, agency_id: uuid.UUID, seqs: Sequence[int], topics: Sequence[Topic]
                 ) -> tuple[int, int]:
    """Bring the rule tags of ``topics`` on the mentions ``seqs`` in line with the rules: (added,
    removed). Manual and pushed tags stay, and a mention tagged so gets no rule tag besides."""
    if not seqs or not topics:
        return 0, 0
    topic_ids = [t.id for t in topics]
    existing: dict[tuple[int, uuid.UUID], str] = {
        (seq, tid): by for seq, tid, by in db.session.execute(
            select(MentionTopic.mention_seq, MentionTopic.topic_id, MentionTopic.tagged_by)
            .where(MentionTopic.company_id == company_id, MentionTopic.mention_seq.in_(seqs),
                   MentionTopic.topic_id.in_(topic_ids)))}
    added = removed = 0
    for topic in topics:
        keywords = [k for k in (topic.keywords or []) if isinstance(k, str)]
        matched: set[int] = set()
        if keywords:
            matched = set(db.session.scalars(
                select(Mention.seq).where(Mention.company_id == company_id, Mention.seq.in_(seqs),
                                          or_(*[search.keyword_condition(k) for k in keywords]))))
        stale = [s for (s, tid), by in existing.items() if tid == topic.id and by == "rule" and s not in matched]
        new = sorted(s for s in matched if (s, topic.id) not in existing)
        if stale:
            db.session.execute(delete(MentionTopic).where(
                MentionTopic.company_id == company_id, MentionTopic.topic_id == topic.id,
                MentionTopic.tagged_by == "rule", MentionTopic.mention_seq.in_(stale)))
        if new:
            _insert_tags([{"agency_id": agency_id, "company_id": company_id, "mention_seq": s, "topic_id": topic.id,
                           "tagged_by": "rule"} for s in new])
        added, removed = added + len(new), removed + len(stale)
    return added, removed


def _insert_tags(rows: list[dict[str, Any]]) -> None:
    """Insert tags; one a concurrent writer (a re-tag job beside a push) added first is left as it
    is, so neither fails on the primary key."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(MentionTopic).on_conflict_do_nothing(), rows)


def tag_mentions(company_id: uuid.UUID | str, mentions: Sequence[Mention]) -> tuple[int, int]:
    """Apply every topic's rules to these mentions (created or changed, flushed: the full-text
    index has them), in the caller's transaction; (rule tags added, removed)."""
    company = get_company(company_id)
    seqs = sorted({m.seq for m in mentions if m.seq is not None})
    topics = _rule_topics(company.id)
    added = removed = 0
    for start in range(0, len(seqs), BATCH):
        a, r = _apply_rules(company.id, company.agency_id, seqs[start:start + BATCH], topics)
        added, removed = added + a, removed + r
    return added, removed


def retag(company_id: uuid.UUID | str, topic_id: uuid.UUID | str, days: int = DEFAULT_RETAG_DAYS) -> dict[str, int]:
    """Apply one topic's rules to the company's mentions of the last ``days`` days (by the day they
    count on, in the company's time zone), a batch per transaction. Idempotent. A topic deleted
    meanwhile re-tags nothing. ``{"checked", "added", "removed"}``."""
    company = get_company(company_id)
    tid = _uuid(topic_id)
    topics = _rule_topics(company.id, [tid]) if tid is not None else []
    out = {"checked": 0, "added": 0, "removed": 0}
    if not topics or days <= 0:
        db.session.rollback()
        return out
    since = company_today(company) - dt.timedelta(days=days)
    after = -1
    while True:
        seqs = list(db.session.scalars(
            select(Mention.seq).where(Mention.company_id == company.id, Mention.day >= since, Mention.seq > after)
            .order_by(Mention.seq).limit(BATCH)))
        if not seqs:
            break
        added, removed = _apply_rules(company.id, company.agency_id, seqs, topics)
        db.session.commit()
        out["checked"] += len(seqs)
        out["added"] += added
        out["removed"] += removed
        after = seqs[-1]
    db.session.rollback()  # end the last (read) transaction
    return out


# --- alerts on a topic (backend/services/alert_evaluation.py) -------------------------------------

SENTIMENT_OF_METRIC = {"mentions": None, "mentions_positive": "positive", "mentions_neutral": "neutral",
                       "mentions_negative": "negative"}


def topic_daily_counts(company_id: uuid.UUID, topic_id: uuid.UUID, metric: str,
                       channel_ids: Sequence[uuid.UUID] | None, date_from: dt.date, date_to: dt.date
                       ) -> list[tuple[dt.date, float]]:
    """The daily count of the company's mentions tagged with the topic (by anyone), of the
    metric's sentiment (``mentions``: all), on those channels (None: all), from ``date_from`` to
    ``date_to`` (the days they count on); days with none are left out."""
    stmt = (select(Mention.day, func.count())
            .join(MentionTopic, MentionTopic.mention_seq == Mention.seq)
            .where(Mention.company_id == company_id, MentionTopic.company_id == company_id,
                   MentionTopic.topic_id == topic_id, Mention.day >= date_from, Mention.day <= date_to)
            .group_by(Mention.day).order_by(Mention.day))
    sentiment = SENTIMENT_OF_METRIC.get(metric)
    if sentiment is not None:
        stmt = stmt.where(Mention.sentiment == sentiment)
    if channel_ids is not None:
        stmt = stmt.where(Mention.channel_id.in_(channel_ids))
    return [(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)), float(n))
            for d, n in db.session.execute(stmt)]
