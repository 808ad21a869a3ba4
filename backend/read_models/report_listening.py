"""A report's *What people said* section as data: the period's top topics (with their change
against the previous period), three example mentions by the most-reached authors, and the
period's median answer time against the company's response-time goal.

Read from the mention records (scoped to the principal like every ORM read); the answer time is
the records' median over the period, as ``response_time_minutes`` is per channel and day
(backend/services/listening/rollup.py). Laid out by backend/reporting/templates/report.html.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..models import Channel, Mention, MentionTopic, Topic
from ..services.listening import rollup
from . import report_text

TOP_TOPICS = 5
EXAMPLES = 3
EXAMPLE_CHARS = 280  # an example's text is shortened to about this many characters
EXAMPLE_CANDIDATES = 50  # the most-reached mentions looked at to find three different authors


@dataclass(frozen=True)
class TopicRow:
    name: str
    count: int
    previous: int
    change_percent: float | None  # None: no mention of it in the previous period


@dataclass(frozen=True)
class ExampleMention:
    text: str  # shortened
    author: str  # "@handle" (or the name, without a handle)
    followers: int | None
    day: dt.date
    sentiment: str
    channel: str  # the channel's name


@dataclass(frozen=True)
class AnswerTime:
    median_minutes: float | None  # None: no mention of the period was answered
    answered: int
    goal_title: str | None = None  # the response-time goal, if the company has one
    goal_target: float | None = None
    meets_goal: bool | None = None  # None without a goal or without an answer

    @property
    def text(self) -> str:
        return minutes_text(self.median_minutes)


@dataclass(frozen=True)
class ListeningSection:
    total: int  # mention records of the period
    previous_total: int
    topics: list[TopicRow] = field(default_factory=list)
    examples: list[ExampleMention] = field(default_factory=list)
    answer_time: AnswerTime | None = None

    @property
    def has_mentions(self) -> bool:
        return self.total > 0


def minutes_text(minutes: float | None) -> str:
    """'12 min', '3 h 5 min', '2 d 4 h' or '–'."""
    if minutes is None:
        return "–"
    total = round(minutes)
    if total < 60:
        return f"{total} min"
    hours, mins = divmod(total, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def shorten(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """The text on one line, cut at a word boundary before ``limit`` characters, with '…'."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(",.;:-–") + "…"


def _change(now: int, before: int) -> float | None:
    return None if not before else (now - before) / before * 100


def _topic_counts(company_id: uuid.UUID, start: dt.date, end: dt.date) -> dict[str, int]:
    rows = db.session.execute(
        select(Topic.name, func.count(MentionTopic.mention_seq))
        .join(MentionTopic, MentionTopic.topic_id == Topic.id)
        .join(Mention, Mention.seq == MentionTopic.mention_seq)
        .where(Topic.company_id == company_id, Mention.company_id == company_id, MentionTopic.company_id == company_id,
               Mention.day >= start, Mention.day <= end)
        .group_by(Topic.name))
    return {name: int(n) for name, n in rows}


def _total(company_id: uuid.UUID, start: dt.date, end: dt.date) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Mention).where(
        Mention.company_id == company_id, Mention.day >= start, Mention.day <= end)) or 0)


def _examples(company_id: uuid.UUID, start: dt.date, end: dt.date) -> list[ExampleMention]:
    """The mentions of the most-reached authors (most followers), one per author, with text."""
    rows = db.session.execute(
        select(Mention, Channel.name, Channel.key)
        .join(Channel, Channel.id == Mention.channel_id)
        .where(Mention.company_id == company_id, Channel.company_id == company_id, Mention.day >= start,
               Mention.day <= end, Mention.text != "")
        .order_by(func.coalesce(Mention.author_followers, -1).desc(), Mention.published_at.desc(), Mention.seq.desc())
        .limit(EXAMPLE_CANDIDATES)).all()
    out: list[ExampleMention] = []
    seen: set[str] = set()
    for mention, channel_name, channel_key in rows:
        who = (mention.author_handle.lstrip("@") or mention.author_name or "").casefold()
        if who and who in seen:
            continue
        seen.add(who)
        handle = mention.author_handle
        author = (handle if handle.startswith("@") else f"@{handle}") if handle else (mention.author_name or "someone")
        out.append(ExampleMention(text=shorten(mention.text), author=author, followers=mention.author_followers,
                                  day=mention.day, sentiment=mention.sentiment, channel=channel_name or channel_key))
        if len(out) == EXAMPLES:
            break
    return out


def _answer_time(company_id: uuid.UUID, start: dt.date, end: dt.date) -> AnswerTime:
    median, answered = rollup.answer_time(company_id, start, end)
    goal = rollup.response_time_goal(company_id)
    if goal is None:
        return AnswerTime(median, answered)
    meets = None if median is None else median <= goal.kpi_target + 1e-9
    return AnswerTime(median, answered, goal.title, goal.kpi_target, meets)


def listening_section(company_id: uuid.UUID, start: dt.date, end: dt.date,
                      previous: tuple[dt.date, dt.date]) -> ListeningSection:
    """The section for the period [start, end] against ``previous`` (the KPI cards' previous
    period). Without a mention in the period: the totals only (the template says so briefly)."""
    total = _total(company_id, start, end)
    previous_total = _total(company_id, *previous)
    if not total:
        return ListeningSection(total=0, previous_total=previous_total)
    now, before = _topic_counts(company_id, start, end), _topic_counts(company_id, *previous)
    top = sorted(now.items(), key=lambda kv: (-kv[1], kv[0].lower()))[:TOP_TOPICS]
    topics = [TopicRow(name, n, before.get(name, 0), _change(n, before.get(name, 0))) for name, n in top]
    return ListeningSection(total=total, previous_total=previous_total, topics=topics,
                            examples=_examples(company_id, start, end),
                            answer_time=_answer_time(company_id, start, end))


def section_sentence(section: ListeningSection) -> str:
    """The section's lead line: 'People mentioned the company 1,234 times (+12.0 % on the previous
    period).' or that no mention was recorded."""
    if not section.has_mentions:
        return "No mentions were recorded in this period."
    text = f"{section.total:,} mention{'s' if section.total != 1 else ''} recorded in the period"
    change = _change(section.total, section.previous_total)
    if change is not None:
        text += f" ({report_text.change_text(change)} on the previous period)"
    return text + "."
