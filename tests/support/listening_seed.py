"""Listening test data (issue 18) for the Listening page's tests (tests/dashboard/test_listening_*.py,
tests/browser/test_listening_browser.py): channels and a response-time goal through the services,
topics, mentions and their tags inserted through the models directly (the page reads them; the
push is another part's). Call inside an app context acting as the agency. The company's time zone
is UTC, so a mention's ``day`` is its UTC date.

What the numbers are, relative to ``today`` (UTC):

======  =========  ==========  =========  ========  ========  =======  ===========
 days    channel    sentiment   author     followers country  topics   answered
======  =========  ==========  =========  ========  ========  =======  ===========
 1       facebook   negative    @often     500       SE       Recall   –
 1       facebook   negative    @big       100000    SE       Recall   after 30 min
 1       instagram  positive    @often     500       NO       Delivery –
 2       instagram  neutral     @mid       20000     NO       Delivery after 90 min
 2       facebook   negative    @mid       20000     PL       Recall   –
 3       facebook   positive    @often     500       –        –        –
 3       instagram  positive    @often     500       SE       Delivery –
 40      facebook   negative    @old       10        SE       Recall   –  (the previous period)
======  =========  ==========  =========  ========  ========  =======  ===========
"""
from __future__ import annotations

import datetime as dt
import uuid

ROWS = [
    # days ago, hour, channel, sentiment, handle, name, followers, country, topic, answered after (min), text
    (1, 9, "facebook", "negative", "often", "Olga Often", 500, "SE", "Recall", None,
     "Is my kettle part of the recall? Nobody answers."),
    (1, 10, "facebook", "negative", "big", "Bengt Big", 100_000, "SE", "Recall", 30,
     "The recall was handled badly, and the recalled kettles still sit in shops."),
    (1, 11, "instagram", "positive", "often", "Olga Often", 500, "NO", "Delivery", None,
     "Fast delivery to Oslo, thank you!"),
    (2, 8, "instagram", "neutral", "mid", "Maja Mid", 20_000, "NO", "Delivery", 90,
     "Delivery took four days this time."),
    (2, 12, "facebook", "negative", "mid", "Maja Mid", 20_000, "PL", "Recall", None,
     "Recall notice only in Swedish? Please translate it."),
    (3, 7, "facebook", "positive", "often", "Olga Often", 500, None, None, None,
     "Lovely new colours this spring."),
    (3, 16, "instagram", "positive", "often", "Olga Often", 500, "SE", "Delivery", None,
     "Parcel arrived a day early, great delivery."),
    (40, 12, "facebook", "negative", "old", "Otto Old", 10, "SE", "Recall", None,
     "Heard something about a recall?"),
]
TOPICS = {"Recall": ["recall"], "Delivery": ["delivery"], "Price": ["price"]}


def seed_listening(company_id, *, today: dt.date | None = None, goal_minutes: float | None = 45,
                   source: str = "test-listening") -> dict:
    """The rows above for one company (UTC). Returns {"today", "topics": {name: id},
    "mentions": [ids in ROWS order], "channels": {key: id}}."""
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import Channel, Company, Mention, MentionTopic, Topic
    from backend.services import channels, goals

    today = today or dt.datetime.now(dt.UTC).date()
    company = db.session.scalars(select(Company).where(Company.id == company_id)).one()
    for key, platform, name in (("facebook", "facebook", "Facebook page"), ("instagram", "instagram", "Instagram")):
        channels.create_channel(company_id, {"key": key, "platform": platform, "name": name})
    channel_ids = {c.key: c.id for c in db.session.scalars(select(Channel).where(Channel.company_id == company_id))}
    topics = {}
    for name, keywords in TOPICS.items():
        topic = Topic(company_id=company.id, agency_id=company.agency_id, name=name, keywords=keywords)
        db.session.add(topic)
        db.session.flush()
        topics[name] = topic.id
    mention_ids = []
    for n, (days, hour, channel, sentiment, handle, name, followers, country, topic_name, answered, text) in \
            enumerate(ROWS):
        published = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour, 0))
        mention = Mention(
            company_id=company.id, agency_id=company.agency_id, id=uuid.uuid4(), channel_id=channel_ids[channel],
            source=source, external_id=f"m{n}", published_at=published, utc_offset_minutes=0,
            day=published.date(), url=f"https://example.com/m{n}", text=text, author_name=name,
            author_handle=handle, author_followers=followers, sentiment=sentiment, language="en", country=country,
            answered_at=published + dt.timedelta(minutes=answered) if answered is not None else None,
            answered_by="owner@test" if answered is not None else "")
        db.session.add(mention)
        db.session.flush()
        if topic_name:
            db.session.add(MentionTopic(company_id=company.id, agency_id=company.agency_id, mention_seq=mention.seq,
                                        topic_id=topics[topic_name], tagged_by="pushed"))
        mention_ids.append(str(mention.id))
    db.session.commit()
    if goal_minutes is not None:
        goals.create_goal(company_id, {
            "title": "Answer within 45 minutes", "category": "customer_relations",
            "kpi": {"metric": "response_time_minutes", "channel": "all", "aggregation": "latest",
                    "target": goal_minutes, "baseline": 120, "start_date": (today - dt.timedelta(days=60)).isoformat(),
                    "deadline": (today + dt.timedelta(days=60)).isoformat()}})
    return {"today": today, "topics": {k: str(v) for k, v in topics.items()}, "mentions": mention_ids,
            "channels": {k: str(v) for k, v in channel_ids.items()}}
