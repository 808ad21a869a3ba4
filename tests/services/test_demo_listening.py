"""The demo's mentions (issue 18): as many records as the demo's metrics count, per channel, day
and sentiment, with texts its topics' rules tag, recurring voices, places, a crisis burst on the
crisis topic and answers whose daily median is the demo's response time; seeded through the
mentions service, so that after seeding every channel-day's counts are the records' and a second
run adds nothing."""
from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backend.demo.content import COMPANIES, FJORD, NORTHWIND, VISTULA
from backend.demo.generator import crisis_dates, generate_company
from backend.demo.listening import (
    DEMO_SOURCE,
    answer_delays,
    apply_records,
    median_answer_minutes,
    plan_mentions,
)
from backend.demo.listening_content import LISTENING

ANCHOR = dt.date(2026, 11, 22)
YESTERDAY = ANCHOR - dt.timedelta(days=1)
LATER = dt.datetime(2026, 12, 30, tzinfo=dt.UTC)  # every answer has come


@pytest.fixture(scope="module")
def planned():
    out = {}
    for company in COMPANIES:
        series = generate_company(company, ANCHOR, ANCHOR)
        out[company.name] = (series, plan_mentions(company, series, ANCHOR, YESTERDAY, LATER))
    return out


def by_channel_day(mentions):
    out = defaultdict(list)
    for m in mentions:
        out[(m.channel, m.day)].append(m)
    return out


@pytest.mark.no_db
def test_about_2000_mentions_per_company_exactly_as_the_metrics_count_them(planned):
    for company in COMPANIES:
        series, mentions = planned[company.name]
        assert 1_500 <= len(mentions) <= 2_600, (company.name, len(mentions))
        grouped = by_channel_day(mentions)
        for channel in company.channels:
            for day, total in series[(channel.key, "mentions")]:
                ms = grouped.get((channel.key, day), [])
                if day > YESTERDAY:  # today is not covered yet
                    assert not ms
                    continue
                assert len(ms) == total, (company.name, channel.key, day)
                for sentiment in ("positive", "neutral", "negative"):
                    assert sum(m.sentiment == sentiment for m in ms) == dict(
                        series[(channel.key, f"mentions_{sentiment}")])[day]
        # Nothing on a channel's lagging days (its stale-data alert) or before it opened.
        days = {(c, d) for c, pts in ((ch.key, series[(ch.key, "mentions")]) for ch in company.channels)
                for d, _ in pts}
        assert set(grouped) <= days
        assert len({m.external_id for m in mentions}) == len(mentions)


@pytest.mark.no_db
def test_each_days_answers_have_the_demos_response_time_as_their_median(planned):
    for company in COMPANIES:
        series, mentions = planned[company.name]
        before = {k: list(v) for k, v in series.items() if k[1] == "response_time_minutes"}
        apply_records(series, mentions)  # nothing to change: every median is the generator's
        assert {k: v for k, v in series.items() if k[1] == "response_time_minutes"} == before
        for (channel, day), ms in by_channel_day(mentions).items():
            assert median_answer_minutes(ms) == dict(before[(channel, "response_time_minutes")])[day]
        unanswered = [m for m in mentions if m.answered_at is None]
        assert 0 < len(unanswered) < 0.04 * len(mentions), company.name  # some are never answered …
        recent = [m for m in unanswered if m.day >= ANCHOR - dt.timedelta(days=14)]
        assert len(recent) >= 3, company.name  # … most of them lately: the inbox
        delays = [(m.answered_at - m.published_at).total_seconds() / 3600 for m in mentions if m.answered_at]
        assert statistics.median(delays) < 12 and min(delays) > 0  # most within hours


@pytest.mark.no_db
@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 10])
def test_answer_delays_have_an_exact_median(count):
    import random

    delays = answer_delays(random.Random(count), count, 38.4)
    assert len(delays) == count and statistics.median(delays) == 38.4 * 60 and min(delays) > 0


@pytest.mark.no_db
def test_answers_not_yet_given_stay_in_the_inbox_and_the_series_takes_the_records_median():
    """Seeded in the morning: some of yesterday's answers would come later; they stay unanswered,
    every day keeps at least one answer, and the series holds what the records roll up to."""
    series = generate_company(NORTHWIND, ANCHOR, ANCHOR)
    now = dt.datetime.combine(ANCHOR, dt.time(0, 20), tzinfo=ZoneInfo(NORTHWIND.timezone))
    mentions = plan_mentions(NORTHWIND, series, ANCHOR, YESTERDAY, now)
    assert all(m.answered_at is None or m.answered_at <= now for m in mentions)
    assert all(m.published_at <= now for m in mentions)
    recent = [m for m in mentions if m.day >= YESTERDAY - dt.timedelta(days=1)]
    assert any(m.answered_at is None for m in recent)
    apply_records(series, mentions)
    rt = {(c, d): v for (c, metric), pts in series.items() if metric == "response_time_minutes" for d, v in pts}
    for (channel, day), ms in by_channel_day(mentions).items():
        assert any(m.answered_at for m in ms)
        assert rt[(channel, day)] == median_answer_minutes(ms)


@pytest.mark.no_db
def test_the_crisis_week_bursts_with_negative_mentions_on_the_crisis_topic(planned):
    for company in COMPANIES:
        _, mentions = planned[company.name]
        crisis_topic = next(t.name for t in LISTENING[company.name].topics if t.crisis)
        start, end = crisis_dates(company, ANCHOR)
        week = [m for m in mentions if start <= m.day <= end]
        ordinary = [m for m in mentions if start - dt.timedelta(days=35) <= m.day < start]
        assert len(week) / 7 > 5 * len(ordinary) / 35, company.name
        negative = [m for m in week if m.sentiment == "negative"]
        ordinary_share = sum(m.sentiment == "negative" for m in ordinary) / len(ordinary)
        assert len(negative) / len(week) > max(0.3, 3 * ordinary_share), company.name
        assert sum(m.topic == crisis_topic for m in negative) > 0.7 * len(negative)
        assert not any(m.topic == crisis_topic for m in mentions if m.day < start)  # nobody knew before


@pytest.mark.no_db
def test_every_template_holds_a_keyword_of_its_topic_so_the_rules_tag_it():
    words = re.compile(r"\w+")
    for name, spec in LISTENING.items():
        assert 4 <= len(spec.topics) <= 6 and sum(t.crisis for t in spec.topics) == 1, name
        for topic in spec.topics:
            keywords = {k.lower() for k in topic.keywords}
            for templates in topic.texts.values():
                for template in templates:
                    assert keywords & set(words.findall(template.lower())), (topic.name, template)


@pytest.mark.no_db
def test_voices_recur_and_most_authors_write_from_the_companys_country(planned):
    home = {NORTHWIND.name: "SE", FJORD.name: "NO", VISTULA.name: "PL"}
    for company in COMPANIES:
        _, mentions = planned[company.name]
        spec = LISTENING[company.name]
        per_author = Counter(m.author.handle for m in mentions)
        for voice in spec.voices:
            assert per_author[voice.handle] >= 15, (company.name, voice.handle)
        assert len(per_author) > 200
        countries = Counter(m.author.country for m in mentions)
        assert 0.65 < countries[home[company.name]] / len(mentions) < 0.95
        assert len(countries) >= 4
        assert all(m.published_at.utcoffset() is not None and m.published_at.date() == m.day for m in mentions)


@pytest.mark.no_db
def test_the_plan_is_deterministic_and_a_later_run_repeats_the_days_before():
    series = generate_company(FJORD, ANCHOR, ANCHOR + dt.timedelta(days=5))
    short = plan_mentions(FJORD, series, ANCHOR, YESTERDAY, LATER)
    longer = plan_mentions(FJORD, series, ANCHOR, ANCHOR + dt.timedelta(days=4), LATER)
    key = [(m.external_id, m.text, m.author, m.published_at, m.answered_at, m.sentiment) for m in short]
    again = plan_mentions(FJORD, series, ANCHOR, YESTERDAY, LATER)
    assert key == [(m.external_id, m.text, m.author, m.published_at, m.answered_at, m.sentiment) for m in again]
    assert set(key) < {(m.external_id, m.text, m.author, m.published_at, m.answered_at, m.sentiment)
                       for m in longer}


# --- seeded through the services ------------------------------------------------------------------

@pytest.mark.slow
def test_seeded_mentions_are_the_dashboards_counts_tagged_and_seeded_once(app):
    from backend.demo import seed_demo
    from backend.demo.seed import find_anchor
    from backend.extensions import db
    from backend.models import Alert, Channel, Company, Mention, MentionTopic, MetricPoint, Topic
    from backend.services.listening.mentions import inbox
    from backend.services.progress import company_today
    from backend.tenancy import Principal, acting_as, cross_tenant

    messages: list[str] = []
    with app.app_context():
        seed_demo(progress=messages.append)
    assert any("new mentions" in m for m in messages)
    with app.app_context(), cross_tenant("test: the demo's mentions"):
        agency_id = db.session.scalars(select(Company.agency_id)).first()
    with app.app_context(), acting_as(Principal.system(agency_id, "test")):
        companies = {c.name: c for c in db.session.scalars(select(Company))}
        total = db.session.scalar(select(func.count()).select_from(Mention))
        assert 4_500 < total < 8_000
        for spec in COMPANIES:
            company = companies[spec.name]
            # Every channel-day's counts on the dashboard are the records' (and no day has records
            # without counts): the records won, and they were the counts already.
            records = Counter()
            for channel_key, day, sentiment, n in db.session.execute(
                    select(Channel.key, Mention.day, Mention.sentiment, func.count())
                    .join(Channel, Channel.id == Mention.channel_id)
                    .where(Mention.company_id == company.id).group_by(Channel.key, Mention.day, Mention.sentiment)):
                records[(channel_key, day, "mentions")] += n
                records[(channel_key, day, f"mentions_{sentiment}")] += n
            points = {(k, d, m): v for k, d, m, v in db.session.execute(
                select(Channel.key, MetricPoint.date, MetricPoint.metric, MetricPoint.value)
                .join(Channel, Channel.id == MetricPoint.channel_id)
                .where(MetricPoint.company_id == company.id, MetricPoint.metric.like("mentions%")))}
            covered = {(k, d) for k, d, _ in records}
            assert covered
            for (k, d, metric), value in points.items():
                if (k, d) in covered:
                    assert value == records.get((k, d, metric), 0), (spec.name, k, d, metric)
            # The rules tagged the crisis week with the crisis topic.
            crisis_topic = next(t.name for t in LISTENING[spec.name].topics if t.crisis)
            start, end = crisis_dates(spec, find_anchor(company.id, company_today(company)))
            tagged = db.session.scalar(
                select(func.count()).select_from(MentionTopic).join(Topic, Topic.id == MentionTopic.topic_id)
                .join(Mention, Mention.seq == MentionTopic.mention_seq)
                .where(Topic.company_id == company.id, Topic.name == crisis_topic,
                       Mention.day >= start, Mention.day <= end))
            assert tagged > 50, spec.name
            assert inbox(company.id, limit=5)[0], spec.name  # something waits for an answer
            kinds = {a.kind for a in db.session.scalars(select(Alert).where(Alert.company_id == company.id))}
            assert "spike" in kinds, spec.name  # the crisis week still raises Crisis watch
        assert {m.source for m in db.session.scalars(select(Mention).limit(5))} == {DEMO_SOURCE}

    with app.app_context():
        seed_demo(progress=messages.append)
    with app.app_context(), acting_as(Principal.system(agency_id, "test")):
        assert db.session.scalar(select(func.count()).select_from(Mention)) == total
        assert db.session.scalar(select(func.count()).select_from(Topic)) == sum(
            len(LISTENING[c.name].topics) for c in COMPANIES)
