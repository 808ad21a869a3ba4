"""A report's *What people said* section (backend/read_models/report_listening.py and the report
template): top topics with their change against the previous period, three example mentions by
the most-reached authors, the median answer time against the response-time goal; a period
without mentions says so briefly; another company's mentions never appear."""
from __future__ import annotations

import datetime as dt

import pytest

from listening.rollup_world import add_channels, as_system, insert, new_mention

START, END = dt.date(2024, 3, 1), dt.date(2024, 3, 31)  # the previous period: 30 Jan – 29 Feb
LONG = ("This is a long complaint about the recall of the kettles, " * 12).strip()


def at(day: int, hour=9, minute=0, month=3) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute)


def _tag(company_id, seq_by_topic: dict):
    from backend.extensions import db
    from backend.models import MentionTopic, Topic

    for name, seqs in seq_by_topic.items():
        topic = Topic(company_id=company_id, name=name, keywords=[])
        db.session.add(topic)
        db.session.flush()
        db.session.add_all([MentionTopic(company_id=company_id, mention_seq=s, topic_id=topic.id, tagged_by="pushed")
                            for s in seqs])


def _report(company_id, start=START, end=END):
    from backend.extensions import db
    from backend.models import Report

    report = Report(company_id=company_id, period_kind="month", period_start=start, period_end=end)
    db.session.add(report)
    db.session.commit()
    return report


@pytest.fixture
def world(app, tenant):
    from backend.extensions import db
    from backend.services import goals

    ch = add_channels(app, tenant)
    cid = tenant.company_a.id
    now = insert(app, tenant, [
        new_mention(cid, ch["fb"], at(2), sentiment="negative", text=LONG, handle="@bigvoice", followers=90_000,
                    answered_at=at(2, 9, 20)),  # 20 min
        new_mention(cid, ch["fb"], at(3), sentiment="negative", text="Still no answer about the recall",
                    handle="BigVoice", followers=89_000, answered_at=at(3, 11)),  # same author; 120 min
        new_mention(cid, ch["ig"], at(5), sentiment="positive", text="Love the new teapot", handle="@tealover",
                    followers=5_000, answered_at=at(5, 9, 40)),  # 40 min
        new_mention(cid, ch["fb"], at(9), sentiment="neutral", text="Where is the shop?", handle="@asker",
                    followers=300),
        new_mention(cid, ch["fb"], at(10), sentiment="neutral", text="", handle="@silent", followers=1_000_000),
        new_mention(cid, ch["ig"], at(31, 22), sentiment="positive", text="Great service", name="Anonymous Fan"),
    ])
    before = insert(app, tenant, [new_mention(cid, ch["fb"], at(d, month=2), text="february") for d in (10, 11)])
    with as_system(app, tenant):
        _tag(cid, {"Recall": now[:2] + before[:1], "Teapots": now[2:3], "Service": now[3:6]})
        goals.create_goal(cid, {"title": "Answer within half an hour", "category": "crisis_dialogue", "kpi": {
            "metric": "response_time_minutes", "target": 30, "start_date": "2024-01-01",
            "deadline": "2024-12-31"}})
        db.session.commit()
    return tenant, ch


def test_the_section_as_data(app, world):
    from backend.read_models.report import report_view

    tenant, _ = world
    with as_system(app, tenant):
        view = report_view(_report(tenant.company_a.id))
    section = view.listening
    assert section.total == 6 and section.previous_total == 2
    assert [(t.name, t.count, t.previous) for t in section.topics] == [("Service", 3, 0), ("Recall", 2, 1),
                                                                      ("Teapots", 1, 0)]
    assert section.topics[1].change_percent == 100.0 and section.topics[0].change_percent is None
    # The most-reached authors, one mention each, with text (the silent million-follower one has none).
    assert [e.author for e in section.examples] == ["@bigvoice", "@tealover", "@asker"]
    first = section.examples[0]
    assert first.text.endswith("…") and len(first.text) <= 281 and first.text.startswith("This is a long complaint")
    assert (first.day, first.sentiment, first.channel, first.followers) == (dt.date(2024, 3, 2), "negative", "FB",
                                                                            90_000)
    # The median of 20, 120 and 40 minutes against the 30-minute goal.
    answer = section.answer_time
    assert (answer.median_minutes, answer.answered, answer.goal_target, answer.meets_goal) == (40, 3, 30, False)
    assert answer.goal_title == "Answer within half an hour" and answer.text == "40 min"


def test_the_html_shows_the_section(app, world):
    from backend.read_models.report import report_view
    from backend.reporting.html import render_view_html

    tenant, _ = world
    with app.test_request_context(), as_system(app, tenant):
        view = report_view(_report(tenant.company_a.id))
        html = render_view_html(view, mode="screen")
        pdf_html = render_view_html(view, mode="pdf", svgs={})
    for page in (html, pdf_html):
        part = page[page.index('data-testid="what-people-said"'):]
        part = part[:part.index("</section>")]
        assert "<h2>What people said</h2>" in part
        assert "6 mentions recorded in the period (+200.0 % on the previous period)." in part
        assert 'data-topic="Service"' in part and 'data-topic="Recall"' in part
        assert part.index("Service") < part.index("Recall") < part.index("Teapots")
        assert "@bigvoice" in part and "90,000 followers" in part and "Love the new teapot" in part
        assert "Median answer time: <b>40 min</b> over 3 answered mentions" in part
        assert "Answer within half an hour" in part and "not met" in part
        assert LONG not in part  # shortened


def test_a_period_without_mentions_says_so_briefly(app, world):
    from backend.read_models.report import report_view
    from backend.reporting.html import render_view_html

    tenant, _ = world
    with app.test_request_context(), as_system(app, tenant):
        view = report_view(_report(tenant.company_a.id, dt.date(2024, 5, 1), dt.date(2024, 5, 31)))
        html = render_view_html(view, mode="screen")
    assert view.listening.total == 0 and view.listening.topics == [] and view.listening.examples == []
    part = html[html.index('data-testid="what-people-said"'):]
    part = part[:part.index("</section>")]
    assert "No mentions were recorded in this period." in part
    assert "<table" not in part and "Median answer time" not in part


def test_another_companys_mentions_never_appear(app, world):
    from backend.read_models.report import report_view

    tenant, _ = world
    other = add_channels(app, tenant, keys=("tw",), company=tenant.company_b)
    insert(app, tenant, [new_mention(tenant.company_b.id, other["tw"], at(4), text="Company B's secret",
                                     handle="@other", followers=10**7)], company=tenant.company_b)
    with as_system(app, tenant):
        view = report_view(_report(tenant.company_a.id))
    assert view.listening.total == 6
    assert "@other" not in [e.author for e in view.listening.examples]


def test_minutes_and_shortening_in_words():
    from backend.read_models.report_listening import minutes_text, shorten

    assert [minutes_text(m) for m in (None, 0.4, 12, 60, 185, 1440, 1530)] == [
        "–", "0 min", "12 min", "1 h", "3 h 5 min", "1 d", "1 d 1 h"]
    assert shorten("a  b\nc") == "a b c"
    assert shorten("word " * 100, 20) == "word word word word…"
    assert shorten("x" * 50, 10) == "x" * 10 + "…"
