"""The Listening page as data (issue 18): what people said about one company, for its staff and,
read-only, its client viewers. Plain data, without Dash; built from the listening services
(backend/services/listening/) and, for the page's sums, from ORM selects of ``Mention`` — which
the scoping layer (backend/scoping.py) filters to the principal's agency and companies, like
every read.

- :func:`parse_filters` — the page's filters (date range, channel, sentiment, topic, country,
  search box) from what a browser sent, with a message per field that makes no sense;
- :func:`listening_view` — for one set of filters: volume by sentiment per day (or week), the
  top topics against the previous period of the same length, mentions by country, influential
  voices (reach = followers × mentions), the median answer time against the company's
  response-time goal, and the inbox of unanswered mentions, oldest first;
- :func:`bucket_mentions` — one day's (or week's) mentions, newest first, for a click on a bar;
- :func:`mark_answered`, :func:`assign` — the inbox's two actions (staff only: the service
  refuses anyone else), in a write transaction of their own (the dashboard's callbacks are read
  requests, backend/database.py).
"""
from __future__ import annotations

import datetime as dt
import statistics
import uuid
from dataclasses import dataclass, field, replace
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global
from sqlalchemy import Select, func, select

from ..bounds import DATE_MAX, DATE_MIN
from ..database import write_transaction
from ..extensions import db
from ..models import AgencyMembership, Channel, Goal, Mention, MentionTopic, User
from ..services.errors import ServiceError, ValidationFailed
from ..services.listening import search
from ..services.listening.countries import country_name, is_country
from ..services.listening.mentions import filtered, inbox, list_mentions, update_mention
from ..services.listening.topics import list_topics
from ..services.progress import company_today
from ..tenancy import Forbidden, get_principal
from .controls import _fmt, parse_date

SENTIMENTS = ("positive", "neutral", "negative")
MAX_QUERY_LENGTH = search.MAX_QUERY_LENGTH
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366  # a longer range is refused with a message next to the dates
DAILY_UP_TO = 92  # longer ranges are drawn per week
TOP_TOPICS = 10
TOP_VOICES = 10
INBOX_SHOWN = 20
BUCKET_SHOWN = 50
TEXT_SHOWN = 280
# Babel's three-letter territory aliases that are no longer the ISO 3166-1 alpha-3 code.
_RETIRED_ALPHA3 = frozenset({"BUR", "ZAR", "DDR", "FXX", "TMP", "YMD"})


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    channel: str = "all"  # a channel key, or "all"
    sentiment: str = "all"
    topic: str = "all"  # a topic id, or "all"
    country: str = "all"  # an ISO 3166-1 alpha-2 code, or "all"
    q: str = ""
    messages: dict[str, str] = field(default_factory=dict)  # field -> what was wrong

    @property
    def granularity(self) -> str:
        return "day" if (self.date_to - self.date_from).days < DAILY_UP_TO else "week"


@dataclass(frozen=True)
class MentionItem:
    id: str
    published_at: dt.datetime  # UTC
    local_time: str  # e.g. "3 Nov 2026 14:05", in the company's time zone
    day: dt.date
    channel: str  # the channel's name
    author_name: str
    author_handle: str
    followers: int | None
    sentiment: str
    text: str  # shortened
    url: str
    country: str  # the country's name, or ""
    answered: bool
    assigned_to: str | None  # a user id


@dataclass(frozen=True)
class TopicRow:
    id: str
    name: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous


@dataclass(frozen=True)
class CountryRow:
    code: str
    alpha3: str | None  # for the map (Plotly's world topojson knows countries by alpha-3)
    name: str
    count: int


@dataclass(frozen=True)
class Voice:
    handle: str
    name: str
    followers: int
    mentions: int

    @property
    def reach(self) -> int:
        return self.followers * self.mentions


@dataclass(frozen=True)
class AnswerTime:
    median_minutes: float | None  # of the period's answered mentions
    answered: int
    goal_title: str | None = None
    goal_target: float | None = None  # minutes


@dataclass(frozen=True)
class ListeningView:
    filters: Filters
    previous_from: dt.date
    previous_to: dt.date
    total: int
    volume: list[tuple[dt.date, int, int, int]]  # bucket start, positive, neutral, negative
    topics: list[TopicRow]
    countries: list[CountryRow]
    voices: list[Voice]
    answer_time: AnswerTime
    inbox: list[MentionItem]


@dataclass(frozen=True)
class Options:
    """What the filters and the inbox offer: (value, label) pairs."""

    channels: list[tuple[str, str]]
    topics: list[tuple[str, str]]
    countries: list[tuple[str, str]]
    assignees: list[tuple[str, str]]  # staff users, for staff only
    today: dt.date
    can_answer: bool


def options(company_row) -> Options:
    """The filters' choices and whether this person may answer and assign."""
    principal = get_principal()
    staff = principal is not None and principal.is_staff
    channels = db.session.execute(select(Channel.key, Channel.name).where(Channel.company_id == company_row.id)
                                  .order_by(Channel.key)).all()
    codes = db.session.scalars(select(Mention.country).where(Mention.company_id == company_row.id,
                                                             Mention.country.is_not(None)).distinct())
    assignees: list[tuple[str, str]] = []
    if staff:
        people = db.session.execute(select(User.id, User.name, User.email).join(
            AgencyMembership, AgencyMembership.user_id == User.id).where(User.active.is_(True)).order_by(User.email))
        assignees = [(str(uid), name or email) for uid, name, email in people]
    return Options(
        channels=[(key, name or key) for key, name in channels],
        topics=sorted(((str(t.id), t.name) for t in list_topics(company_row.id)), key=lambda t: t[1].lower()),
        countries=sorted(((c, country_name(c)) for c in codes if c), key=lambda c: c[1]),
        assignees=assignees, today=company_today(company_row), can_answer=staff)


def today(company_row) -> dt.date:
    """Today in the company's time zone (the day the page's default range ends)."""
    return company_today(company_row)


def parse_filters(today: dt.date, *, date_from=None, date_to=None, channel=None, sentiment=None, topic=None,
                  country=None, q=None) -> Filters:
    """The filters as a browser sent them (strings or None). Nonsense is not an error: the field
    gets a message and its default, so the page always draws."""
    messages: dict[str, str] = {}
    end = min(max(parse_date(date_to) or today, DATE_MIN), DATE_MAX)
    start = min(max(parse_date(date_from) or end - dt.timedelta(days=DEFAULT_DAYS - 1), DATE_MIN), DATE_MAX)
    if start > end:
        messages["date"] = "The start is after the end: showing the 30 days up to the end."
        start = max(end - dt.timedelta(days=DEFAULT_DAYS - 1), DATE_MIN)
    if (end - start).days >= MAX_DAYS:
        messages["date"] = "Choose at most three years: showing the three years up to the end."
        start = end - dt.timedelta(days=MAX_DAYS - 1)
    channel, sentiment, topic = _choice(channel), _choice(sentiment), _choice(topic)
    country = _choice(country).upper() if _choice(country) != "all" else "all"
    if sentiment != "all" and sentiment not in SENTIMENTS:
        messages["sentiment"] = "Unknown sentiment: showing all."
        sentiment = "all"
    if country != "all" and not is_country(country):
        messages["country"] = "Unknown country code: showing all countries."
        country = "all"
    if topic != "all":
        try:
            uuid.UUID(topic)
        except ValueError:
            messages["topic"] = "Unknown topic: showing all topics."
            topic = "all"
    text = q if isinstance(q, str) else ""
    if "\x00" in text:
        messages["q"] = "The search may not contain a NUL character."
        text = text.replace("\x00", "")
    if len(text) > search.MAX_QUERY_LENGTH:
        messages["q"] = f"Searches are at most {search.MAX_QUERY_LENGTH} characters: the rest was left out."
        text = text[:search.MAX_QUERY_LENGTH]
    return Filters(date_from=start, date_to=end, channel=channel, sentiment=sentiment, topic=topic, country=country,
                   q=text.strip(), messages=messages)


def _choice(value) -> str:
    """A dropdown's value: a non-empty string of at most 200 characters, else "all"."""
    return value[:200] if isinstance(value, str) and value.strip() else "all"


def _select(company_id, f: Filters, date_from: dt.date, date_to: dt.date, *, topic: bool = True) -> Select:
    """The mentions the filters pick on the given days (``topic=False``: of every topic): the
    mentions service's own filtered select, so the sums agree with the list a click opens."""
    return filtered(company_id, channel=None if f.channel == "all" else f.channel,
                    sentiment=None if f.sentiment == "all" else f.sentiment,
                    topic=None if not topic or f.topic == "all" else f.topic,
                    country=None if f.country == "all" else f.country,
                    date_from=date_from, date_to=date_to, q=f.q or None)


def checked(company_id, f: Filters) -> Filters:
    """``f`` with a filter the company does not have (a channel key, a topic) set back to "all"
    and a message next to it."""
    for _attempt in range(len(_RESETTABLE)):
        try:
            _select(company_id, f, f.date_from, f.date_to)
            return f
        except ValidationFailed as err:
            fields = [e.get("field") for e in err.errors or []]
            name = next((n for n in fields if n in _RESETTABLE), None)
            if name is None:
                raise
            reset: dict[str, str] = {name: "all"}
            f = replace(f, messages={**f.messages, name: _RESETTABLE[name]}, **reset)  # type: ignore[arg-type]
    return f


_RESETTABLE = {"channel": "No such channel: showing all channels.",
               "topic": "No such topic: showing all topics.",
               "sentiment": "Unknown sentiment: showing all.",
               "country": "Unknown country code: showing all countries."}


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def listening_view(company_row, f: Filters) -> ListeningView:
    """Everything the page draws for one set of filters."""
    cid = company_row.id
    f = checked(cid, f)
    base = _select(cid, f, f.date_from, f.date_to)
    length = f.date_to - f.date_from + dt.timedelta(days=1)
    prev_to = f.date_from - dt.timedelta(days=1)
    prev_from = prev_to - length + dt.timedelta(days=1)

    buckets: dict[dt.date, list[int]] = {}
    for day, sentiment, n in db.session.execute(base.with_only_columns(Mention.day, Mention.sentiment, func.count())
                                                .group_by(Mention.day, Mention.sentiment)):
        key = day if f.granularity == "day" else week_start(day)
        buckets.setdefault(key, [0, 0, 0])[SENTIMENTS.index(sentiment)] += int(n)
    volume = [(d, b[0], b[1], b[2]) for d, b in sorted(buckets.items())]
    return ListeningView(
        filters=f, previous_from=prev_from, previous_to=prev_to, total=sum(p + u + n for _, p, u, n in volume),
        volume=volume, topics=_top_topics(cid, f, prev_from, prev_to), countries=_countries(base),
        voices=_voices(base), answer_time=_answer_time(cid, base), inbox=inbox_items(company_row))


def _top_topics(cid, f: Filters, prev_from: dt.date, prev_to: dt.date) -> list[TopicRow]:
    """The topics with most mentions in the period (the other filters applied, every topic), with
    their count in the previous period of the same length."""
    names = {str(t.id): t.name for t in list_topics(cid)}

    def counts(date_from: dt.date, date_to: dt.date, only=None) -> dict[str, int]:
        seqs = _select(cid, f, date_from, date_to, topic=False).with_only_columns(Mention.seq)
        stmt = (select(MentionTopic.topic_id, func.count(func.distinct(MentionTopic.mention_seq)))
                .where(MentionTopic.company_id == cid, MentionTopic.mention_seq.in_(seqs))
                .group_by(MentionTopic.topic_id))
        if only is not None:
            stmt = stmt.where(MentionTopic.topic_id.in_(only))
        return {str(tid): int(n) for tid, n in db.session.execute(stmt)}

    now = counts(f.date_from, f.date_to)
    top = sorted((tid for tid in now if tid in names), key=lambda t: (-now[t], names[t].lower()))[:TOP_TOPICS]
    before = counts(prev_from, prev_to, [uuid.UUID(t) for t in top]) if top else {}
    return [TopicRow(tid, names[tid], now[tid], before.get(tid, 0)) for tid in top]


@cache
def _alpha3() -> dict[str, str]:
    """ISO 3166-1 alpha-2 → alpha-3 (CLDR's territory aliases, through Babel)."""
    out: dict[str, str] = {}
    for code, targets in get_global("territory_aliases").items():
        if (len(code) == 3 and code.isalpha() and code not in _RETIRED_ALPHA3 and len(targets) == 1
                and len(targets[0]) == 2):
            out.setdefault(targets[0], code)
    return out


def alpha3(code: str) -> str | None:
    return _alpha3().get(code)


def _countries(base: Select) -> list[CountryRow]:
    rows = db.session.execute(base.with_only_columns(Mention.country, func.count())
                              .where(Mention.country.is_not(None)).group_by(Mention.country))
    out = [CountryRow(code, alpha3(code), country_name(code), int(n)) for code, n in rows if code]
    return sorted(out, key=lambda r: (-r.count, r.name))


def _voices(base: Select) -> list[Voice]:
    """Authors by reach (followers × mentions in the period), then by how often they spoke."""
    followers = func.max(func.coalesce(Mention.author_followers, 0))
    count = func.count()
    stmt = (base.with_only_columns(Mention.author_handle, func.max(Mention.author_name), followers, count)
            .where(Mention.author_handle != "").group_by(Mention.author_handle)
            .order_by((followers * count).desc(), count.desc(), Mention.author_handle).limit(TOP_VOICES))
    return [Voice(handle, name or "", int(f or 0), int(n)) for handle, name, f, n in db.session.execute(stmt)]


def _answer_time(cid, base: Select) -> AnswerTime:
    """The median minutes from publishing to answer of the period's answered mentions, and the
    company's response-time goal (the one for all channels first)."""
    rows = db.session.execute(base.with_only_columns(Mention.published_at, Mention.answered_at)
                              .where(Mention.answered_at.is_not(None)))
    minutes = [max(0.0, (answered - published).total_seconds() / 60) for published, answered in rows
               if answered is not None]
    goal = db.session.scalars(select(Goal).where(Goal.company_id == cid, Goal.kpi_metric == "response_time_minutes")
                              .order_by((Goal.kpi_channel != "all"), Goal.kpi_deadline.desc())).first()
    return AnswerTime(median_minutes=statistics.median(minutes) if minutes else None, answered=len(minutes),
                      goal_title=goal.title if goal else None, goal_target=goal.kpi_target if goal else None)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("UTC")


def _items(mentions, timezone: str | None) -> list[MentionItem]:
    mentions = list(mentions)
    zone = _zone(timezone)
    names = {cid: name or key for cid, key, name in db.session.execute(
        select(Channel.id, Channel.key, Channel.name).where(Channel.id.in_({m.channel_id for m in mentions})))
    } if mentions else {}
    return [MentionItem(
        id=str(m.id), published_at=m.published_at, day=m.day,
        local_time=_local(m.published_at, zone), channel=names.get(m.channel_id, ""),
        author_name=m.author_name or "", author_handle=m.author_handle or "", followers=m.author_followers,
        sentiment=m.sentiment, text=shorten(m.text or ""), url=m.url or "",
        country=country_name(m.country) if m.country else "", answered=m.answered_at is not None,
        assigned_to=str(m.assigned_to_id) if m.assigned_to_id else None) for m in mentions]


def _local(at: dt.datetime, zone: ZoneInfo) -> str:
    local = at.replace(tzinfo=dt.UTC).astimezone(zone)
    return f"{local.day} {local:%b %Y %H:%M}"


def shorten(text: str, limit: int = TEXT_SHOWN) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def inbox_items(company_row, limit: int = INBOX_SHOWN) -> list[MentionItem]:
    """The unanswered mentions, oldest first (the mentions service's inbox)."""
    found = inbox(company_row.id, limit=limit)
    return _items(found[0] if isinstance(found, tuple) else found, company_row.timezone)


def inbox_count(company_row) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Mention).where(
        Mention.company_id == company_row.id, Mention.answered_at.is_(None))) or 0)


def bucket_mentions(company_row, f: Filters, start: dt.date) -> tuple[dt.date, dt.date, list[MentionItem]]:
    """The mentions of the bucket starting ``start`` (a day, or a week for long ranges) under the
    filters, newest first (the mentions service's list): (first day, last day, mentions)."""
    end = start if f.granularity == "day" else start + dt.timedelta(days=6)
    start, end = max(start, f.date_from), min(end, f.date_to)
    found, _cursor = list_mentions(
        company_row.id, channel=None if f.channel == "all" else f.channel,
        sentiment=None if f.sentiment == "all" else f.sentiment, topic=None if f.topic == "all" else f.topic,
        country=None if f.country == "all" else f.country, date_from=start, date_to=end, q=f.q or None,
        limit=BUCKET_SHOWN)
    return start, end, _items(found, company_row.timezone)


def period_text(view: ListeningView) -> str:
    f = view.filters
    return (f"{view.total:,} mentions {_fmt(f.date_from)} – {_fmt(f.date_to)}, per {f.granularity}; topics "
            f"compared with {_fmt(view.previous_from)} – {_fmt(view.previous_to)}.")


def _act(company_id, mention_id, data: dict) -> str | None:
    """Apply ``data`` through the mentions service in a write transaction; None, or why not."""
    db.session.commit()  # end the callback's read transaction: the write takes the lock up front
    try:
        with write_transaction():
            update_mention(company_id, mention_id, data)
            db.session.commit()
    except (ServiceError, Forbidden) as err:
        db.session.rollback()
        errors = getattr(err, "errors", None) or []
        return (errors[0].get("message") if errors else None) or str(err) or "That did not work."
    return None


def mark_answered(company_id, mention_id) -> str | None:
    """Mark a mention answered now, by this person; None, or why not."""
    return _act(company_id, mention_id, {"answered": True})


def assign(company_id, mention_id, user_id: str | None) -> str | None:
    """Assign a mention to a staff user (None: to nobody); None, or why not."""
    return _act(company_id, mention_id, {"assigned_to": user_id or None})

