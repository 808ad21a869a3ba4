"""Checking pushed and imported mentions: every field of every mention, errors as
``{"index", "field", "message"}`` (the first 100, like the metrics push), nothing written when one
is wrong.

A mention needs ``source``, ``external_id``, ``channel`` (a channel key of the company),
``published_at`` (ISO 8601 with a UTC offset, from 2000-01-01 to five minutes from now) and
``sentiment``; the rest is optional: ``url``, ``text`` (up to 5,000 characters), ``author``
``{name, handle, followers}``, ``sentiment_score`` (−1 to 1), ``language`` (a BCP 47 tag),
``location`` ``{country (ISO 3166-1 alpha-2), city}``, ``topics`` (up to 20 names) and
``answered_at`` (with an offset; help desks that know when it was answered). The same
``(source, external_id)`` twice in one batch names both indexes.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from ...bounds import NUL_MESSAGE, has_nul
from ...extensions import db
from ...models import Channel, Company
from ...models.listening import SENTIMENTS
from ..errors import ValidationFailed
from .countries import is_country

MAX_ERRORS = 100
MAX_TEXT = 5_000
MAX_TOPICS = 20
MAX_TOPIC_NAME = 80
MIN_PUBLISHED = dt.datetime(2000, 1, 1)  # UTC
FUTURE_SLACK = dt.timedelta(minutes=5)
FOLLOWERS_MAX = 2**31 - 1
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
FIELDS = frozenset(("source", "external_id", "channel", "published_at", "url", "text", "author", "sentiment",
                    "sentiment_score", "language", "location", "topics", "answered_at"))
REQUIRED = ("source", "external_id", "channel", "published_at", "sentiment")
AUTHOR_FIELDS = frozenset(("name", "handle", "followers"))
LOCATION_FIELDS = frozenset(("country", "city"))
# field: (max length, its name in messages)
TEXT_LIMITS = {"source": 64, "external_id": 200, "url": 2000, "text": MAX_TEXT, "language": 16,
               "author.name": 200, "author.handle": 200, "location.city": 120}


@dataclass
class MentionRow:
    """One valid mention, as stored (UTC naive times, the company's day)."""

    index: int
    source: str
    external_id: str
    channel_id: uuid.UUID
    published_at: dt.datetime
    utc_offset_minutes: int
    day: dt.date
    url: str
    text: str
    author_name: str
    author_handle: str
    author_followers: int | None
    sentiment: str
    sentiment_score: float | None
    language: str
    country: str | None
    city: str
    topics: tuple[str, ...]
    answered_at: dt.datetime | None
    answered_given: bool  # answered_at was in the mention (else a re-push keeps the stored answer)

    @property
    def key(self) -> tuple[str, str]:
        return self.source, self.external_id

    def stored(self) -> dict[str, Any]:
        """The columns a push writes (answered_at only when it was given)."""
        out = {name: getattr(self, name) for name in STORED}
        if self.answered_given:
            out["answered_at"] = self.answered_at
        return out


STORED = ("channel_id", "published_at", "utc_offset_minutes", "day", "url", "text", "author_name", "author_handle",
          "author_followers", "sentiment", "sentiment_score", "language", "country", "city")


class BadTopics(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def topic_names(value: object) -> tuple[str, ...]:
    """A mention's topic names, spaces tidied, each once (case-insensitively); :class:`BadTopics`
    naming ``topics`` or ``topics.<n>`` otherwise. None is no topic."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadTopics("topics", "Must be a list of topic names.")
    if len(value) > MAX_TOPICS:
        raise BadTopics("topics", f"At most {MAX_TOPICS} topics (this has {len(value)}).")
    names: dict[str, str] = {}
    for n, name in enumerate(value):
        if not isinstance(name, str) or not name.strip() or has_nul(name):
            raise BadTopics(f"topics.{n}", "Must be a topic name (text).")
        clean = " ".join(name.split())
        if len(clean) > MAX_TOPIC_NAME:
            raise BadTopics(f"topics.{n}", f"At most {MAX_TOPIC_NAME} characters.")
        names.setdefault(clean.casefold(), clean)
    return tuple(names.values())


def company_zone(company: Company) -> dt.tzinfo:
    try:
        return ZoneInfo(company.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def parse_timestamp(value: object, *, now: dt.datetime) -> tuple[dt.datetime, int] | str:
    """``(UTC naive, offset minutes)`` of an ISO 8601 timestamp with an offset, or the message."""
    if not isinstance(value, str):
        return "Must be an ISO 8601 timestamp with a UTC offset, e.g. 2024-05-01T10:15:00+02:00."
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return "Not a valid ISO 8601 timestamp; use e.g. 2024-05-01T10:15:00+02:00 or 2024-05-01T08:15:00Z."
    offset = parsed.utcoffset()
    if offset is None:
        return "Must include a UTC offset (+02:00, or Z for UTC): without one the time is ambiguous."
    try:
        utc = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        return "Must be from 2000-01-01 to now."
    if utc < MIN_PUBLISHED:
        return "Must be on or after 2000-01-01."
    if utc > now + FUTURE_SLACK:
        return "Must not be in the future."
    return utc, int(offset.total_seconds() // 60)


class MentionValidator:
    """Checks mentions against one company's channels; valid ones go to ``rows``. Keeps the
    ``(source, external_id)`` keys seen, so a batch checked in parts still finds duplicates."""

    def __init__(self, company: Company, now: dt.datetime | None = None) -> None:
        self.company = company
        self.zone = company_zone(company)
        self.now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.channels: dict[str, uuid.UUID] = {
            key: cid for cid, key in db.session.execute(
                select(Channel.id, Channel.key).where(Channel.company_id == company.id))}
        self.seen: dict[tuple[str, str], int] = {}
        self.rows: list[MentionRow] = []
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        # How a duplicate names the two places (a CSV import names its rows).
        self.both: Callable[[int, int], str] = lambda first, i: f"Mentions {first} and {i}"

    def error(self, index: int, field: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"index": index, "field": field, "message": message})

    def check(self, items: list[object], offset: int = 0) -> None:
        for i, item in enumerate(items, offset):
            row = self.check_one(item, i)
            if row is not None:
                self.rows.append(row)

    def _text(self, i: int, field: str, value: object, *, required: bool = False) -> str | None:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.error(i, field, "Must be text.")
            return None
        text = value.strip() if field != "text" else value
        if has_nul(text):
            self.error(i, field, NUL_MESSAGE)
            return None
        if required and not text.strip():
            self.error(i, field, "Must not be empty.")
            return None
        limit = TEXT_LIMITS[field]
        if len(text) > limit:
            self.error(i, field, f"At most {limit:,} characters (this has {len(text):,}).")
            return None
        return text

    def _object(self, i: int, field: str, value: object, known: frozenset[str]) -> dict[str, Any] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(i, field, f"Must be an object with {', '.join(sorted(known))}.")
            return None
        for name in sorted(str(k) for k in value.keys() - known):
            self.error(i, f"{field}.{name}", "Unknown field.")
        return value

    def check_one(self, item: object, i: int) -> MentionRow | None:  # noqa: C901 - one check per field
        """Every error of one mention; the clean row when it has none."""
        before = self.error_count
        if not isinstance(item, dict):
            self.error(i, "mention", "Must be an object with source, external_id, channel, published_at and "
                                     "sentiment.")
            return None
        for name in REQUIRED:
            if item.get(name) is None:
                self.error(i, name, "Missing data for required field.")
        for name in sorted(str(k) for k in item.keys() - FIELDS):
            self.error(i, name, "Unknown field.")
        source = self._text(i, "source", item["source"], required=True) if item.get("source") is not None else None
        external_id = (self._text(i, "external_id", item["external_id"], required=True)
                       if item.get("external_id") is not None else None)
        channel_id = None
        channel = item.get("channel")
        if channel is not None:
            if not isinstance(channel, str):
                self.error(i, "channel", "Must be a string (a channel key).")
            else:
                channel_id = self.channels.get(channel)
                if channel_id is None:
                    self.error(i, "channel", f"No channel '{channel[:64]}' in this company.")
        published: tuple[dt.datetime, int] | None = None
        if item.get("published_at") is not None:
            parsed = parse_timestamp(item["published_at"], now=self.now)
            if isinstance(parsed, str):
                self.error(i, "published_at", parsed)
            else:
                published = parsed
        sentiment = item.get("sentiment")
        if sentiment is not None and sentiment not in SENTIMENTS:
            self.error(i, "sentiment", f"Must be one of: {', '.join(SENTIMENTS)}.")
        score = self._score(i, item.get("sentiment_score"))
        url = self._text(i, "url", item.get("url"))
        if url and not url.lower().startswith(("http://", "https://")):
            self.error(i, "url", "Must be an http:// or https:// address.")
        text = self._text(i, "text", item.get("text"))
        language = self._text(i, "language", item.get("language"))
        if language and not LANGUAGE_RE.match(language):
            self.error(i, "language", "Must be a language tag such as en, sv or pt-BR.")
        author = self._object(i, "author", item.get("author"), AUTHOR_FIELDS)
        author_name = author_handle = None
        followers: int | None = None
        if author is not None:
            author_name = self._text(i, "author.name", author.get("name"))
            author_handle = self._text(i, "author.handle", author.get("handle"))
            followers = self._followers(i, author.get("followers"))
        location = self._object(i, "location", item.get("location"), LOCATION_FIELDS)
        country: str | None = None
        city = None
        if location is not None:
            country = self._country(i, location.get("country"))
            city = self._text(i, "location.city", location.get("city"))
        topics = self._topics(i, item.get("topics"))
        answered_at: dt.datetime | None = None
        answered_given = "answered_at" in item
        if item.get("answered_at") is not None:
            parsed = parse_timestamp(item["answered_at"], now=self.now)
            if isinstance(parsed, str):
                self.error(i, "answered_at", parsed)
            else:
                answered_at = parsed[0]
                if published is not None and answered_at < published[0]:
                    self.error(i, "answered_at", "Must not be before published_at.")
        if source and external_id:
            first = self.seen.get((source, external_id))
            if first is not None:
                self.error(i, "external_id", f"{self.both(first, i)} have the same source and external_id; "
                                             "each mention may appear once per batch.")
            else:
                self.seen[(source, external_id)] = i
        if self.error_count != before:
            return None
        assert source and external_id and channel_id and published and topics is not None  # checked above
        utc, offset = published
        day = utc.replace(tzinfo=dt.UTC).astimezone(self.zone).date()
        return MentionRow(index=i, source=source, external_id=external_id, channel_id=channel_id, published_at=utc,
                          utc_offset_minutes=offset, day=day, url=url or "", text=text or "",
                          author_name=author_name or "", author_handle=author_handle or "",
                          author_followers=followers, sentiment=str(sentiment), sentiment_score=score,
                          language=language or "", country=country, city=city or "", topics=topics,
                          answered_at=answered_at, answered_given=answered_given)

    def _score(self, i: int, value: object) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(i, "sentiment_score", "Must be a number from -1 to 1.")
            return None
        try:
            score = float(value)
        except OverflowError:
            score = math.inf
        if not math.isfinite(score) or not -1 <= score <= 1:
            self.error(i, "sentiment_score", "Must be a number from -1 to 1.")
            return None
        return score

    def _followers(self, i: int, value: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= FOLLOWERS_MAX:
            self.error(i, "author.followers", f"Must be a whole number from 0 to {FOLLOWERS_MAX:,}.")
            return None
        return value

    def _country(self, i: int, value: object) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not is_country(value.strip().upper()):
            self.error(i, "location.country", "Must be an ISO 3166-1 alpha-2 country code, such as SE or PL.")
            return None
        return value.strip().upper()

    def _topics(self, i: int, value: object) -> tuple[str, ...] | None:
        try:
            return topic_names(value)
        except BadTopics as bad:
            self.error(i, bad.field, bad.message)
            return None

    def raise_if_invalid(self, what: str = "mention") -> None:
        if self.error_count:
            raise ValidationFailed(
                f"{self.error_count} error{'s' if self.error_count != 1 else ''} in the {what}s; nothing was written."
                + (f" The first {MAX_ERRORS} are listed." if self.error_count > MAX_ERRORS else ""),
                errors=self.errors, error_count=self.error_count)
