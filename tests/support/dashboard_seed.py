"""Dashboard test data, written through the services (used by tests/dashboard/test_dashboard_*.py and
tests/browser/test_dashboard_browser.py). Call inside an app context acting as the agency."""
from __future__ import annotations

import datetime as dt
import math

CHANNELS = [("facebook", "facebook", "Facebook page", 1200.0, 40.0),
            ("instagram", "instagram", "Instagram", 800.0, 25.0)]


def seed_company(company_id, *, days: int = 150, end: dt.date | None = None) -> dict:
    """Two channels with daily followers, reach, impressions, engagements, mentions (with
    sentiment) and spend up to ``end`` (default: yesterday, UTC); a campaign; a strategy with a
    launch plan; two goals. Returns what a test may check against."""
    from backend.services import campaigns, channels, goals, metrics, strategy

    end = end or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
    start = end - dt.timedelta(days=days - 1)
    for key, platform, name, _, _ in CHANNELS:
        channels.create_channel(company_id, {"key": key, "platform": platform, "name": name})
    points = []
    for i in range(days):
        day = (start + dt.timedelta(days=i)).isoformat()
        for n, (key, _, _, base, growth) in enumerate(CHANNELS):
            wave = 1 + 0.3 * math.sin(i / 5 + n)
            reach = round(900 * wave + 10 * i)
            values = {
                "followers": base + growth * i,
                "reach": reach,
                "impressions": round(reach * 1.7),
                "engagements": round(reach * 0.04 * wave),
                "mentions": 10 + i % 4,
                "mentions_positive": 6 + i % 2,
                "mentions_neutral": 3,
                "mentions_negative": 1 + i % 4 - i % 2,
                "spend": 12.5 + n,
            }
            points += [{"channel": key, "metric": m, "date": day, "value": v} for m, v in values.items()]
    for chunk in range(0, len(points), 5000):
        metrics.push_points(company_id, points[chunk:chunk + 5000])
    campaigns.create_campaign(company_id, {
        "name": "Spring push", "start_date": (end - dt.timedelta(days=40)).isoformat(),
        "end_date": (end - dt.timedelta(days=26)).isoformat(), "channels": ["instagram"], "budget": 500})
    strategy.update_strategy(company_id, {
        "objective": "Become the **first choice** for coffee lovers in the region.",
        "business_alignment": "More visits to the cafés; more online orders.",
        "audiences": [{"name": "Commuters", "description": "Grab a coffee on the way", "channels": ["instagram"]}],
        "personality": "Warm, curious, quick to answer.",
        "channel_plan": [{"channel": "facebook", "purpose": "Events and customer service"},
                         {"channel": "instagram", "purpose": "Daily pictures"}],
        "launch_plan": {"followers_target": 12000, "target_date": (end + dt.timedelta(days=120)).isoformat()},
        "status": "active",
    })
    followers_goal = goals.create_goal(company_id, {
        "title": "Reach 10k followers", "category": "position_in_field",
        "kpi": {"metric": "followers", "channel": "all", "aggregation": "latest", "target": 10000,
                "start_date": (start + dt.timedelta(days=30)).isoformat(),
                "deadline": (end + dt.timedelta(days=60)).isoformat()}})
    reach_goal = goals.create_goal(company_id, {
        "title": "A million people reached", "category": "customer_relations",
        "kpi": {"metric": "reach", "channel": "all", "aggregation": "total", "target": 1_000_000,
                "start_date": start.isoformat(), "deadline": (end + dt.timedelta(days=10)).isoformat()}})
    return {"start": start, "end": end, "goal_ids": [str(followers_goal.id), str(reach_goal.id)],
            "points": len(points)}
