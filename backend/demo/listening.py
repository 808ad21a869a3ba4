"""The demo's mentions (issue 18): every mention the demo's metrics count, as a record with its
text, author, place and answer — about 2,000 per company over the 18 months.

The counts come from the metric generator (``backend/demo/generator.py``: ``mentions`` and its
three sentiments per channel and day), and this module writes exactly that many records for every
channel-day up to yesterday, so that the roll-up (records win for the days they cover:
``backend/services/listening/rollup.py``) leaves the counts as they were — no jump at the edge of
the covered days, and the crisis week's spike of negative mentions still raises the demo's alert.
Each day's answer delays are drawn around the generator's ``response_time_minutes`` so that
their median is that value; a mention whose answer would come after the moment of seeding stays
unanswered (the inbox), as do a few that nobody ever answered, most of them from the two weeks
before the day the demo was first seeded (its anchor). :func:`apply_records` replaces the
series' response times by the records' median before the goals are designed and the metrics
pushed, so that what is designed, pushed and rolled up is one series.

Pure (:func:`plan_mentions`, :func:`apply_records`) apart from :func:`seed_listening`, which makes
the company's topics (their keyword rules tag the mentions) and pushes the records through the
mentions service in batches, only for days after the last one pushed: a second run adds nothing.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .content import CompanySpec
from .generator import Series, crisis_dates
from .listening_content import LISTENING, ListeningSpec, TopicSpec, Voice

DEMO_SOURCE = "reachboard-demo"
PUSH_BATCH = 1_000  # the mentions push's limit
NEVER_ANSWERED = 0.004  # of mentions nobody answers …
BACKLOG_ANSWERED = 0.2  # … and of those of the last two weeks before the demo's first day (its inbox)
BACKLOG_DAYS = 14
VOICE_SHARE = 0.12  # of mentions written by the recurring influential voices
UNTAGGED_SHARE = 0.18  # of ordinary mentions about nothing in particular (no topic)
OCCASIONAL_AUTHORS = 320
# When people write, by local hour (0–23).
HOUR_WEIGHTS = (0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.8, 1.4, 1.8, 1.9, 1.8, 1.7, 1.9, 1.7, 1.5, 1.4,
                1.4, 1.5, 1.7, 1.9, 1.9, 1.6, 1.0, 0.5)
SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Author:
    name: str
    handle: str
    followers: int
    country: str
    city: str


@dataclass
class DemoMention:
    channel: str
    day: dt.date  # the company-local day it counts on
    number: int  # its number within the channel-day
    published_at: dt.datetime  # aware, in the company's time zone
    sentiment: str
    score: float
    text: str
    topic: str | None  # the topic its text was written for (the rules tag it)
    author: Author
    answered_at: dt.datetime | None = None  # aware, in the company's time zone

    @property
    def external_id(self) -> str:
        return f"{self.channel}:{self.day.isoformat()}:{self.number}"

    def payload(self, channel_url: str, language: str) -> dict:
        """The mention as the mentions push takes it."""
        item = {
            "source": DEMO_SOURCE, "external_id": self.external_id, "channel": self.channel,
            "published_at": self.published_at.isoformat(), "url": f"{channel_url.rstrip('/')}/{self.external_id}",
            "text": self.text, "sentiment": self.sentiment, "sentiment_score": self.score, "language": language,
            "author": {"name": self.author.name, "handle": self.author.handle, "followers": self.author.followers},
            "location": {"country": self.author.country, "city": self.author.city},
        }
        if self.answered_at is not None:
            item["answered_at"] = self.answered_at.isoformat()
        return item


# ============================================================================================
# Authors
# ============================================================================================
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L").replace("ø", "o")
                                   .replace("æ", "ae").replace("å", "a"))
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower()


def occasional_authors(company: str, spec: ListeningSpec) -> list[Author]:
    """The company's occasional authors (deterministic), most from its own country."""
    rng = random.Random(f"reachboard-demo-authors|{company}")
    countries = list(spec.countries)
    weights = [spec.countries[c][0] for c in countries]
    out: list[Author] = []
    handles: set[str] = set()
    while len(out) < OCCASIONAL_AUTHORS:
        first, last = rng.choice(spec.first_names), rng.choice(spec.last_names)
        handle = f"@{_ascii(first)}{rng.choice(('', '.', '_'))}{_ascii(last)}{rng.randrange(10, 99)}"
        if handle in handles:
            continue
        handles.add(handle)
        country = rng.choices(countries, weights)[0]
        followers = max(3, int(rng.lognormvariate(5.2, 1.1)))
        out.append(Author(f"{first} {last}", handle, followers, country, rng.choice(spec.countries[country][1])))
    return out


def _voice(v: Voice) -> Author:
    return Author(v.name, v.handle, v.followers, v.country, v.city)


class _Authors:
    """Picks an author: a recurring voice now and then, else an occasional one (a few of whom
    write often: the weights fall off like a power law)."""

    def __init__(self, company: str, spec: ListeningSpec):
        self.voices = [_voice(v) for v in spec.voices]
        self.occasional = occasional_authors(company, spec)
        self.cum_weights = list(itertools.accumulate(1 / (i + 1) ** 0.7 for i in range(len(self.occasional))))

    def pick(self, rng: random.Random) -> Author:
        if rng.random() < VOICE_SHARE:
            return rng.choice(self.voices)
        return rng.choices(self.occasional, cum_weights=self.cum_weights)[0]


# ============================================================================================
# Texts
# ============================================================================================
def _topic_for(rng: random.Random, spec: ListeningSpec, sentiment: str, phase: str) -> TopicSpec | None:
    """The topic a mention is about: in the crisis week mostly the crisis; before it never the
    crisis; sometimes nothing in particular."""
    crisis = next(t for t in spec.topics if t.crisis)
    if phase == "crisis" and rng.random() < (0.85 if sentiment == "negative" else 0.55):
        return crisis
    if rng.random() < UNTAGGED_SHARE:
        return None
    candidates = [t for t in spec.topics if sentiment in t.texts and (not t.crisis or phase == "after")]
    if not candidates:
        return None
    return rng.choices(candidates, [t.weight for t in candidates])[0]


def _text(rng: random.Random, spec: ListeningSpec, topic: TopicSpec | None, sentiment: str) -> str:
    templates = topic.texts[sentiment] if topic is not None else spec.general[sentiment]
    return rng.choice(templates).format(**{k: rng.choice(v) for k, v in spec.fill.items()})


def _score(rng: random.Random, sentiment: str) -> float:
    low, high = {"positive": (0.35, 0.95), "neutral": (-0.2, 0.2), "negative": (-0.95, -0.35)}[sentiment]
    return round(rng.uniform(low, high), 2)


# ============================================================================================
# Answers
# ============================================================================================
def answer_delays(rng: random.Random, count: int, median_minutes: float) -> list[int]:
    """``count`` answer delays in seconds whose median is exactly ``median_minutes`` (to the
    second): half faster, half slower, the middle one (or two) exactly on it; shuffled."""
    exact = round(median_minutes * 60)
    middle = 1 if count % 2 else 2
    side = (count - middle) // 2 if count else 0
    spread = [min(1.6, abs(rng.gauss(0.0, 0.75))) + 0.05 for _ in range(2 * side)]
    faster = [max(30, round(exact * math.exp(-z))) for z in spread[:side]]
    slower = [round(exact * math.exp(z)) for z in spread[side:]]
    delays = faster + [exact] * (middle if count else 0) + slower
    rng.shuffle(delays)
    return delays


def _answer(rng: random.Random, day_mentions: list[DemoMention], median_minutes: float | None,
            now: dt.datetime, never: float = NEVER_ANSWERED) -> None:
    """Answer the day's mentions around the median; what would be answered after ``now`` stays
    unanswered, except that one (the earliest) is answered before ``now`` so every day has an
    answer time."""
    if median_minutes is None or not day_mentions:
        return
    answered = [m for m in day_mentions if rng.random() >= never] or day_mentions[:1]
    for m, delay in zip(answered, answer_delays(rng, len(answered), median_minutes), strict=True):
        at = m.published_at + dt.timedelta(seconds=delay)
        m.answered_at = at if at <= now else None
    if all(m.answered_at is None for m in day_mentions):
        first = min(day_mentions, key=lambda m: m.published_at)
        wait = min(dt.timedelta(minutes=median_minutes), now - first.published_at - dt.timedelta(seconds=1))
        first.answered_at = first.published_at + max(dt.timedelta(0), dt.timedelta(seconds=int(wait.total_seconds())))


# ============================================================================================
# The plan
# ============================================================================================
def plan_mentions(company: CompanySpec, series: Series, anchor: dt.date, covered_to: dt.date,
                  now: dt.datetime) -> list[DemoMention]:
    """Every mention of the company's channel-days up to ``covered_to``: as many, of each
    sentiment, as ``series`` counts. Deterministic per channel-day (apart from which answers
    ``now`` has reached), so a longer run repeats a shorter one."""
    spec = LISTENING[company.name]
    tz = ZoneInfo(company.timezone)
    authors = _Authors(company.name, spec)
    crisis_start, crisis_end = crisis_dates(company, anchor)
    out: list[DemoMention] = []
    for channel in company.channels:
        counts = {s: dict(series.get((channel.key, f"mentions_{s}"), [])) for s in SENTIMENTS}
        response = dict(series.get((channel.key, "response_time_minutes"), []))
        for day, total in series.get((channel.key, "mentions"), []):
            if day > covered_to or not total:
                continue
            rng = random.Random(f"reachboard-demo-listening|{company.name}|{channel.key}|{day.isoformat()}")
            sentiments = [s for s in SENTIMENTS for _ in range(int(counts[s].get(day, 0)))]
            rng.shuffle(sentiments)
            phase = ("before" if day < crisis_start else "crisis" if day <= crisis_end else "after")
            times = sorted(dt.time(rng.choices(range(24), HOUR_WEIGHTS)[0], rng.randrange(60), rng.randrange(60))
                           for _ in sentiments)
            day_mentions = []
            for number, (sentiment, at) in enumerate(zip(sentiments, times, strict=True), start=1):
                topic = _topic_for(rng, spec, sentiment, phase)
                day_mentions.append(DemoMention(
                    channel.key, day, number, dt.datetime.combine(day, at, tzinfo=tz), sentiment,
                    _score(rng, sentiment), _text(rng, spec, topic, sentiment), topic.name if topic else None,
                    authors.pick(rng)))
            backlog = 0 < (anchor - day).days <= BACKLOG_DAYS
            _answer(rng, day_mentions, response.get(day), now, BACKLOG_ANSWERED if backlog else NEVER_ANSWERED)
            out.extend(day_mentions)
    return out


def median_answer_minutes(mentions: list[DemoMention]) -> float | None:
    """The roll-up's response time of these mentions (rollup.median_minutes: 2 decimals)."""
    minutes = [max(0.0, (m.answered_at - m.published_at).total_seconds() / 60)
               for m in mentions if m.answered_at is not None]
    return round(statistics.median(minutes), 2) if minutes else None


def apply_records(series: Series, mentions: list[DemoMention]) -> Series:
    """``series`` with what the records roll up to on the channel-days they cover: the same
    counts (checked) and their median answer time. Changes ``series`` in place and returns it."""
    by_key: dict[tuple[str, dt.date], list[DemoMention]] = defaultdict(list)
    for m in mentions:
        by_key[(m.channel, m.day)].append(m)
    for channel in {c for c, _ in by_key}:
        counts = {metric: dict(series[(channel, metric)]) for metric in
                  ("mentions", "mentions_positive", "mentions_neutral", "mentions_negative")}
        for (c, day), ms in by_key.items():
            if c != channel:
                continue
            if counts["mentions"].get(day) != len(ms) or any(
                    counts[f"mentions_{s}"].get(day) != sum(m.sentiment == s for m in ms) for s in SENTIMENTS):
                raise ValueError(f"the demo's mentions of {channel} on {day} do not match its counts")
        key = (channel, "response_time_minutes")
        medians = {day: median_answer_minutes(ms) for (c, day), ms in by_key.items() if c == channel}
        kept: list[tuple[dt.date, float]] = []
        for day, value in series.get(key, []):
            if day not in medians:
                kept.append((day, value))
            elif (median := medians[day]) is not None:  # no answer that day: no response time
                kept.append((day, median))
        series[key] = kept
    return series


# ============================================================================================
# Seeding (through the services)
# ============================================================================================
def seed_listening(company_spec: CompanySpec, company_id, mentions: list[DemoMention],
                   progress: Callable[[str], None]) -> int:
    """The company's topics (only when it has none: what people changed stays) and the mentions
    of the days after the last one pushed, through the mentions service. How many were created."""
    from sqlalchemy import func, select

    from ..extensions import db
    from ..models import Channel, Mention, Topic

    spec = LISTENING[company_spec.name]
    try:
        from ..services.listening.mentions import MAX_MENTIONS_PER_PUSH, push_mentions
        from ..services.listening.topics import create_topic
    except ImportError as err:  # pragma: no cover - while the listening services are being written
        progress(f"{company_spec.name}: no demo mentions ({err})")
        return 0
    if not db.session.scalar(select(func.count()).select_from(Topic).where(Topic.company_id == company_id)):
        for topic in spec.topics:
            create_topic(company_id, {"name": topic.name, "keywords": list(topic.keywords)})
        progress(f"{company_spec.name}: added {len(spec.topics)} listening topics")
    last = {key: day for key, day in db.session.execute(
        select(Channel.key, func.max(Mention.day)).join(Channel, Channel.id == Mention.channel_id)
        .where(Mention.company_id == company_id, Mention.source == DEMO_SOURCE).group_by(Channel.key))}
    urls = {ch.key: ch.url for ch in company_spec.channels}
    todo = [m.payload(urls[m.channel], spec.language) for m in mentions
            if last.get(m.channel) is None or m.day > last[m.channel]]
    size = min(PUSH_BATCH, MAX_MENTIONS_PER_PUSH)
    created = 0
    for start in range(0, len(todo), size):
        created += push_mentions(company_id, todo[start:start + size])["created"]
    if todo:
        progress(f"{company_spec.name}: {created:,} new mentions")
    return created
