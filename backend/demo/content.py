"""What the demo companies are: their channels, campaigns, crisis, sub-goals and strategy texts.

Pure data read by ``backend.demo``. Dates are days relative to the *anchor* (the day the demo
was first seeded; negative = before it), or calendar dates for seasonal campaigns, so the demo
looks the same whenever it is seeded. Goal targets are not written here: ``backend.demo``
designs each one against the generated metrics so that it lands in the status given here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HISTORY_DAYS = 548  # 18 months of daily metrics before the anchor

# Relative activity per weekday (Monday first).
RHYTHMS = {
    "consumer": (0.90, 0.93, 0.97, 1.00, 1.06, 1.14, 1.10),
    "community": (1.02, 1.03, 1.04, 1.00, 0.96, 0.90, 1.05),
    "business": (1.12, 1.20, 1.16, 1.10, 0.92, 0.42, 0.38),
    "internal": (1.25, 1.30, 1.28, 1.22, 0.95, 0.05, 0.03),
    "video": (0.92, 0.90, 0.94, 0.98, 1.04, 1.18, 1.24),
}


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    platform: str
    name: str
    handle: str
    url: str
    purpose: str
    followers_target: float | None
    plateau: float  # followers the channel's logistic growth levels off at
    share_at_origin: float  # followers / plateau when the 18 months begin
    growth_rate: float  # logistic rate per day
    launched: int | None = None  # days before the anchor the channel opened; None: before the range
    followers_at_launch: float = 150
    reach_ratio: float = 0.2  # daily reach per follower
    impressions_per_reach: float = 1.5
    engagement_rate: float = 0.04  # engagements per reach
    posts_per_week: float = 5
    mentions_per_day: float = 10  # at the plateau
    response_minutes: tuple[float, float] = (120.0, 45.0)  # median answer time: first day, long run
    revenue_per_click: float = 2.0
    rhythm: str = "consumer"
    # The integration is behind: no figures for the channel's last ``lag_days`` days (the demo's
    # stale-data alert). A later seeding adds the days that have come out of the lag.
    lag_days: int = 0


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    channels: tuple[str, ...]
    budget: float
    notes: str
    days: int
    # Either a calendar start (month, day) — the latest such date on or before the anchor —
    # or a start relative to the anchor (days; negative = before it).
    calendar_start: tuple[int, int] | None = None
    relative_start: int | None = None
    lift: float = 0.8  # extra reach at the campaign's peak (0.8 = +80 %)
    follower_boost: float = 0.03  # extra followers it wins, as a share of the plateau


@dataclass(frozen=True)
class CrisisSpec:
    start: int  # days relative to the anchor
    days: int
    what: str
    mention_multiplier: float = 7.0
    negative_share: float = 0.62


@dataclass(frozen=True)
class GoalSpec:
    title: str
    description: str  # may use {target}, {baseline}, {deadline}, {start}
    category: str
    owner: str
    metric: str
    channel: str
    aggregation: str  # latest | total
    # Days relative to the day of seeding — or, for a goal already over (deadline < 0), to the
    # anchor (its history never changes) — or to ``campaign``'s start, or to the crisis.
    start: int
    deadline: int
    status: str  # the status the demo designs this goal to show on the anchor day
    direction: str = "up"  # up: target above baseline; down: below (e.g. response time)
    campaign: str | None = None
    crisis: bool = False
    baseline_days: int = 0  # > 0: the baseline is the mean of that many days before the start


@dataclass(frozen=True)
class CompanySpec:
    name: str
    industry: str
    timezone: str
    currency: str
    channels: tuple[ChannelSpec, ...]
    campaigns: tuple[CampaignSpec, ...]
    crisis: CrisisSpec
    goals: tuple[GoalSpec, ...]
    # Strategy versions, oldest first: (days relative to the anchor, author role, fields).
    strategy_versions: tuple[tuple[int, str, dict], ...] = field(default=())
    # The share of the channels' everyday ``mentions_per_day`` the demo generates: every mention is
    # a record with its text (backend/demo/listening.py), about 2,000 per company over 18 months.
    mention_share: float = 1.0


# --------------------------------------------------------------------------------------------
# Northwind Coffee — roaster with cafés; moving growth to online subscriptions.
# --------------------------------------------------------------------------------------------
_NW_CHANNELS = (
    ChannelSpec(
        "instagram", "instagram", "Northwind Coffee on Instagram", "@northwindcoffee",
        "https://instagram.com/northwindcoffee",
        "Our main showcase: brew guides, new blends and the people behind them. Where home "
        "brewers discover us and follow the link to the subscription shop.",
        45000, plateau=43000, share_at_origin=0.36, growth_rate=0.0062,
        reach_ratio=0.24, impressions_per_reach=1.7, engagement_rate=0.055, posts_per_week=6,
        mentions_per_day=14, response_minutes=(150, 38), revenue_per_click=5.2, rhythm="consumer",
    ),
    ChannelSpec(
        "facebook", "facebook", "Northwind Coffee on Facebook", "northwindcoffee",
        "https://facebook.com/northwindcoffee",
        "The café community: opening hours, events and tastings in the cafés, and the place "
        "regulars ask questions. Answer within the hour.",
        20000, plateau=18400, share_at_origin=0.86, growth_rate=0.005,
        reach_ratio=0.17, impressions_per_reach=1.4, engagement_rate=0.035, posts_per_week=4,
        mentions_per_day=11, response_minutes=(190, 42), revenue_per_click=3.6, rhythm="community",
    ),
    ChannelSpec(
        "tiktok", "tiktok", "Northwind Coffee on TikTok", "@northwind.coffee",
        "https://tiktok.com/@northwind.coffee",
        "Short barista videos for a younger audience that has never heard of us; opened after "
        "the second strategy review to test whether teaching in 30 seconds wins subscribers.",
        30000, plateau=31000, share_at_origin=0.0, growth_rate=0.024, launched=215,
        followers_at_launch=180, reach_ratio=1.1, impressions_per_reach=1.25, engagement_rate=0.075,
        posts_per_week=5, mentions_per_day=6, response_minutes=(240, 90), revenue_per_click=2.4,
        rhythm="consumer",
    ),
    ChannelSpec(
        "x-support", "x", "Northwind Coffee support on X", "@northwind_help",
        "https://x.com/northwind_help",
        "Customer service for orders and subscriptions, and our line to food journalists. "
        "Short answers, fast, by a named person.",
        7000, plateau=6300, share_at_origin=0.58, growth_rate=0.0045,
        reach_ratio=0.3, impressions_per_reach=1.9, engagement_rate=0.022, posts_per_week=9,
        mentions_per_day=9, response_minutes=(95, 24), revenue_per_click=1.1, rhythm="community",
        lag_days=4,  # its integration stopped pushing: the demo's stale-data alert
    ),
)

_NW_CAMPAIGNS = (
    CampaignSpec(
        "Christmas gift boxes", ("instagram", "facebook"), 60000,
        "Gift boxes with three blends and a brew guide; boosted posts and a giveaway.",
        days=31, calendar_start=(11, 18), lift=0.9, follower_boost=0.035,
    ),
    CampaignSpec(
        "Cold brew summer", ("instagram", "tiktok"), 45000,
        "Cold brew recipes, café pop-ups and the new cold brew bottle in the web shop.",
        days=30, calendar_start=(6, 1), lift=0.75, follower_boost=0.03,
    ),
    CampaignSpec(
        "Spring blend tasting panel", ("instagram", "facebook"), 25000,
        "Followers taste two candidate spring blends at home and vote; we launch the winner.",
        days=21, calendar_start=(3, 10), lift=0.55, follower_boost=0.015,
    ),
    CampaignSpec(
        "TikTok barista challenge", ("tiktok",), 30000,
        "Baristas from four cafés challenge followers to pour latte art at home.",
        days=28, relative_start=-120, lift=1.4, follower_boost=0.06,
    ),
)

_NW_GOALS = (
    GoalSpec(
        "Grow TikTok into our second channel",
        "Win a new, younger audience: reach {target:,.0f} TikTok followers by {deadline}.",
        "position_in_field", "Sara (social media lead)", "followers", "tiktok", "latest",
        start=-60, deadline=80, status="on_track",
    ),
    GoalSpec(
        "Answer Facebook questions within the hour",
        "Regulars must feel we are easy to reach: median answer time on Facebook at or below "
        "{target:,.0f} minutes.",
        "customer_relations", "Jonas (customer service)", "response_time_minutes", "facebook", "latest",
        start=-330, deadline=-30, status="achieved", direction="down",
    ),
    GoalSpec(
        "Spring blend tasting: hear from our followers",
        "Collect {target:,.0f} comments on Instagram during the tasting panel and the two weeks after.",
        "test_ideas", "Sara (social media lead)", "comments", "instagram", "total",
        start=0, deadline=35, status="missed", campaign="Spring blend tasting panel",
    ),
    GoalSpec(
        "Grow the Facebook café community",
        "Reach {target:,.0f} Facebook followers by {deadline}; the page has levelled off, so this "
        "needs new café events.",
        "position_in_field", "Café managers", "followers", "facebook", "latest",
        start=-120, deadline=90, status="off_track",
    ),
    GoalSpec(
        "Send home brewers to the web shop",
        "{target:,.0f} clicks from our channels to the shop between {start} and {deadline}.",
        "search_visibility", "Emil (e-commerce)", "clicks", "all", "total",
        start=-150, deadline=45, status="at_risk",
    ),
    GoalSpec(
        "Brew guide library everyone shares",
        "Publish a brew guide a week from {start}; {target:,.0f} shares of guides on Instagram by {deadline}.",
        "knowledge_base", "Sara (social media lead)", "shares", "instagram", "total",
        start=24, deadline=200, status="not_started",
    ),
    GoalSpec(
        "Fast answers on the support account",
        "Median answer time on X support at or below {target:,.0f} minutes by {deadline}; the new "
        "support rota did it.",
        "customer_relations", "Jonas (customer service)", "response_time_minutes", "x-support", "latest",
        start=-400, deadline=-60, status="achieved", direction="down",
    ),
    GoalSpec(
        "Be the coffee voice journalists quote",
        "{target:,.0f} mentions of Northwind across channels between {start} and {deadline}.",
        "media_relations", "Anna (PR)", "mentions", "all", "total",
        start=-200, deadline=30, status="at_risk",
    ),
)

_NW_STRATEGY_1: dict[str, Any] = {
    "objective": "Make Northwind the coffee roaster people in Sweden learn good coffee from, and "
                 "turn that trust into online coffee subscriptions.",
    "business_alignment": "The business plan moves growth from the cafés to the web shop: "
                          "subscriptions should bring 30 % of revenue within three years. Social "
                          "media is where future subscribers first meet us.",
    "audiences": [
        {"name": "Home brewers", "description": "25–45, brew at home, want to get better at it.",
         "channels": ["instagram"]},
        {"name": "Café regulars", "description": "Visit one of our cafés weekly; know the baristas.",
         "channels": ["facebook", "instagram"]},
    ],
    "engagement_approach": "",
    "personality": "A friendly barista who knows a lot but never lectures: warm, curious, a bit of "
                   "humour, no jargon without an explanation.",
    "channel_plan": [
        {"channel": "instagram", "purpose": "Brew guides, new blends, the people behind them."},
        {"channel": "facebook", "purpose": "Café community, events and questions."},
    ],
    "launch_plan": {"followers_target": 50000, "target_days": -330},
    "review_cadence": "quarterly",
    "status": "draft",
}
_NW_STRATEGY_2: dict[str, Any] = {
    **_NW_STRATEGY_1,
    "audiences": _NW_STRATEGY_1["audiences"] + [
        {"name": "Customers with a question", "description": "Subscribers and web-shop buyers who "
         "need help with an order, now.", "channels": ["x-support", "facebook"]},
        {"name": "Food and lifestyle journalists", "description": "Write about coffee, food and "
         "Stockholm life; need quick facts and good pictures.", "channels": ["x-support"]},
    ],
    "engagement_approach": "Teach, don't sell. A brew guide every week, answers to every comment "
                           "within the hour in opening hours, followers invited to taste new blends "
                           "before launch, and a clear link to the subscription from every guide.",
    "channel_plan": _NW_STRATEGY_1["channel_plan"] + [
        {"channel": "x-support", "purpose": "Customer service and press contact; answers by a named person."},
    ],
    "review_cadence": "monthly",
    "status": "active",
}
_NW_STRATEGY_3: dict[str, Any] = {
    **_NW_STRATEGY_2,
    "audiences": [
        {**_NW_STRATEGY_2["audiences"][0], "channels": ["instagram", "tiktok"]},
        *_NW_STRATEGY_2["audiences"][1:],
        {"name": "Curious first-timers", "description": "18–28, drink coffee from chains, have "
         "never heard of a light roast; reached with short videos.", "channels": ["tiktok"]},
    ],
    "channel_plan": _NW_STRATEGY_2["channel_plan"] + [
        {"channel": "tiktok", "purpose": "30-second barista videos for a younger audience; "
                                          "tested for six months, then reviewed."},
    ],
    "launch_plan": {"followers_target": 105000, "target_days": 120},
}

NORTHWIND = CompanySpec(
    "Northwind Coffee", "Food & beverage", "Europe/Stockholm", "SEK",
    _NW_CHANNELS, _NW_CAMPAIGNS,
    CrisisSpec(-128, 7, "A batch of Ethiopia Guji was shipped labelled as decaf; customers "
               "who noticed it on the first night posted about it before we did."),
    _NW_GOALS,
    ((-540, "member", _NW_STRATEGY_1), (-500, "admin", _NW_STRATEGY_2), (-225, "member", _NW_STRATEGY_3)),
    mention_share=0.09,
)

# --------------------------------------------------------------------------------------------
# Fjord Outdoor — outdoor clothing and gear, stores in Norway and a web shop.
# --------------------------------------------------------------------------------------------
_FJ_CHANNELS = (
    ChannelSpec(
        "instagram", "instagram", "Fjord Outdoor on Instagram", "@fjordoutdoor", "https://instagram.com/fjordoutdoor",
        "Inspiration: trips, routes and our gear in real weather, shot by customers and ambassadors.",
        70000, plateau=68000, share_at_origin=0.62, growth_rate=0.0055,
        reach_ratio=0.21, impressions_per_reach=1.6, engagement_rate=0.048, posts_per_week=7,
        mentions_per_day=20, response_minutes=(160, 55), revenue_per_click=9.5, rhythm="consumer",
    ),
    ChannelSpec(
        "facebook", "facebook", "Fjord Outdoor on Facebook", "fjordoutdoor", "https://facebook.com/fjordoutdoor",
        "Store news, events and customer service for our older customers; the first place people "
        "ask about repairs and returns.",
        40000, plateau=38500, share_at_origin=0.9, growth_rate=0.004,
        reach_ratio=0.15, impressions_per_reach=1.35, engagement_rate=0.03, posts_per_week=4,
        mentions_per_day=16, response_minutes=(210, 70), revenue_per_click=7.0, rhythm="community",
    ),
    ChannelSpec(
        "youtube", "youtube", "Fjord Outdoor Trail Guides", "@fjordtrailguides",
        "https://youtube.com/@fjordtrailguides",
        "Long route guides and gear care videos: our knowledge base, and what ranks us in search.",
        15000, plateau=16500, share_at_origin=0.12, growth_rate=0.0068,
        reach_ratio=0.55, impressions_per_reach=3.2, engagement_rate=0.06, posts_per_week=1.2,
        mentions_per_day=4, response_minutes=(600, 240), revenue_per_click=6.0, rhythm="video",
    ),
    ChannelSpec(
        "blog", "blog", "The Trail Journal", "trail-journal", "https://fjordoutdoor.no/journal",
        "Route descriptions, packing lists and repair guides; newsletter subscribers count as followers.",
        12000, plateau=12500, share_at_origin=0.4, growth_rate=0.004,
        reach_ratio=0.32, impressions_per_reach=1.1, engagement_rate=0.09, posts_per_week=1.5,
        mentions_per_day=2, response_minutes=(900, 600), revenue_per_click=4.0, rhythm="community",
        lag_days=4,  # its integration stopped pushing: the demo's stale-data alert
    ),
)

_FJ_CAMPAIGNS = (
    CampaignSpec(
        "Autumn hiking season", ("instagram", "facebook", "youtube"), 120000,
        "Route guides for autumn, a photo competition and 15 % on shell jackets in the web shop.",
        days=32, calendar_start=(8, 20), lift=0.85, follower_boost=0.03,
    ),
    CampaignSpec(
        "Winter gear week", ("instagram", "facebook"), 80000,
        "Layering guides and a week of offers on winter gear.",
        days=14, calendar_start=(1, 10), lift=0.7, follower_boost=0.015,
    ),
    CampaignSpec(
        "Trail ambassadors", ("instagram", "youtube"), 50000,
        "Twelve customers film their favourite routes in our gear; one video a week.",
        days=84, relative_start=-70, lift=0.6, follower_boost=0.05,
    ),
)

_FJ_GOALS = (
    GoalSpec(
        "Build the Trail Guides channel on YouTube",
        "Route and repair videos people find in search: {target:,.0f} subscribers by {deadline}.",
        "knowledge_base", "Ingrid (content)", "followers", "youtube", "latest",
        start=-180, deadline=100, status="on_track",
    ),
    GoalSpec(
        "Answer store questions on Facebook faster",
        "Median answer time on Facebook at or below {target:,.0f} minutes by {deadline}.",
        "customer_relations", "Lars (customer service)", "response_time_minutes", "facebook", "latest",
        start=-200, deadline=40, status="off_track", direction="down",
    ),
    GoalSpec(
        "Win back trust after the zipper recall",
        "Bring the sentiment score across channels back to {target:.2f} or better after the recall.",
        "crisis_dialogue", "Kari (communications)", "sentiment_score", "all", "latest",
        start=1, deadline=130, status="achieved", crisis=True,
    ),
    GoalSpec(
        "Test a gear rental service with followers",
        "{target:,.0f} clicks to the rental sign-up page from Instagram during the winter gear week "
        "and the month after.",
        "test_ideas", "Ingrid (content)", "clicks", "instagram", "total",
        start=0, deadline=44, status="missed", campaign="Winter gear week",
    ),
    GoalSpec(
        "Grow the Trail Journal newsletter",
        "{target:,.0f} subscribers to the Trail Journal by {deadline}.",
        "position_in_field", "Ingrid (content)", "followers", "blog", "latest",
        start=-150, deadline=150, status="on_track",
    ),
    GoalSpec(
        "Rank for 'best hiking routes' with our guides",
        "{target:,.0f} clicks from the Trail Journal to route pages between {start} and {deadline}.",
        "search_visibility", "Ingrid (content)", "clicks", "blog", "total",
        start=40, deadline=220, status="not_started",
    ),
    GoalSpec(
        "Be the outdoor brand the press calls",
        "{target:,.0f} mentions of Fjord Outdoor across channels between {start} and {deadline}.",
        "media_relations", "Kari (communications)", "mentions", "all", "total",
        start=-100, deadline=120, status="at_risk",
    ),
)

_FJ_STRATEGY_1: dict[str, Any] = {
    "objective": "Be the outdoor brand Norwegians trust for real weather, and sell more through "
                 "the web shop without losing the stores' personal service.",
    "business_alignment": "Store sales are flat; the board's plan is to grow web-shop revenue by "
                          "40 % while keeping returns low. Social media must bring customers who "
                          "know what they buy, and keep them after the first purchase.",
    "audiences": [
        {"name": "Weekend hikers", "description": "Families and friends who hike a few times a "
         "month and want dependable gear.", "channels": ["instagram", "facebook"]},
        {"name": "Serious trekkers", "description": "Multi-day trips, read reviews, care about "
         "repairability.", "channels": ["instagram", "blog"]},
    ],
    "engagement_approach": "Show the gear in use, not on a shelf: customers' and ambassadors' trips, "
                           "honest repair guides, and answers from people who hike themselves.",
    "personality": "An experienced hiking friend: calm, practical, honest about what gear can't "
                   "do, proud of Norwegian nature.",
    "channel_plan": [
        {"channel": "instagram", "purpose": "Inspiration and community photos."},
        {"channel": "facebook", "purpose": "Store news, events and customer service."},
        {"channel": "blog", "purpose": "Route descriptions and packing lists."},
    ],
    "launch_plan": {"followers_target": 110000, "target_days": -300},
    "review_cadence": "quarterly",
    "status": "active",
}
_FJ_STRATEGY_2: dict[str, Any] = {
    **_FJ_STRATEGY_1,
    "audiences": _FJ_STRATEGY_1["audiences"] + [
        {"name": "People searching for routes", "description": "Find us through a search for a "
         "route or a repair question; may not know the brand.", "channels": ["youtube", "blog"]},
    ],
    "channel_plan": _FJ_STRATEGY_1["channel_plan"] + [
        {"channel": "youtube", "purpose": "Route guides and gear care videos that rank in search."},
    ],
    "engagement_approach": _FJ_STRATEGY_1["engagement_approach"] + " After the zipper recall: "
                           "every complaint gets a public answer the same day and a private follow-up.",
    "launch_plan": {"followers_target": 150000, "target_days": 150},
    "review_cadence": "monthly",
}

FJORD = CompanySpec(
    "Fjord Outdoor", "Retail", "Europe/Oslo", "NOK",
    _FJ_CHANNELS, _FJ_CAMPAIGNS,
    CrisisSpec(-252, 7, "A faulty zipper on the Lofoten shell jacket led to a recall; photos of "
               "broken jackets spread on Instagram and Facebook."),
    _FJ_GOALS,
    ((-530, "admin", _FJ_STRATEGY_1), (-236, "member", _FJ_STRATEGY_2)),
    mention_share=0.075,
)

# --------------------------------------------------------------------------------------------
# Vistula Software — B2B route-planning software for logistics firms.
# --------------------------------------------------------------------------------------------
_VS_CHANNELS = (
    ChannelSpec(
        "linkedin", "linkedin", "Vistula Software on LinkedIn", "vistula-software",
        "https://linkedin.com/company/vistula-software",
        "Thought leadership for logistics managers: case studies, benchmarks and webinar "
        "invitations; our main source of demo requests.",
        25000, plateau=27000, share_at_origin=0.28, growth_rate=0.0058,
        reach_ratio=0.2, impressions_per_reach=1.8, engagement_rate=0.032, posts_per_week=4,
        mentions_per_day=6, response_minutes=(300, 110), revenue_per_click=48.0, rhythm="business",
    ),
    ChannelSpec(
        "x", "x", "Vistula Software on X", "@vistulasoft", "https://x.com/vistulasoft",
        "Product news, status updates during incidents, and conversations with trade journalists.",
        6000, plateau=5200, share_at_origin=0.74, growth_rate=0.004,
        reach_ratio=0.35, impressions_per_reach=2.1, engagement_rate=0.018, posts_per_week=6,
        mentions_per_day=5, response_minutes=(80, 28), revenue_per_click=12.0, rhythm="business",
    ),
    ChannelSpec(
        "youtube", "youtube", "Vistula Route webinars", "@vistularoute",
        "https://youtube.com/@vistularoute",
        "Recorded webinars and product walk-throughs for prospects evaluating Vistula Route.",
        5000, plateau=4200, share_at_origin=0.2, growth_rate=0.007,
        reach_ratio=0.6, impressions_per_reach=2.6, engagement_rate=0.045, posts_per_week=0.8,
        mentions_per_day=1, response_minutes=(720, 360), revenue_per_click=30.0, rhythm="business",
    ),
    ChannelSpec(
        "blog", "blog", "Vistula engineering and logistics blog", "blog", "https://vistula.dev/blog",
        "Deep articles on route optimisation; newsletter subscribers count as followers. Feeds "
        "search and the knowledge base.",
        10000, plateau=9800, share_at_origin=0.3, growth_rate=0.0052,
        reach_ratio=0.4, impressions_per_reach=1.15, engagement_rate=0.07, posts_per_week=1,
        mentions_per_day=2, response_minutes=(1440, 720), revenue_per_click=20.0, rhythm="business",
    ),
    ChannelSpec(
        "yammer", "yammer", "Vistula all-company network", "vistula", "https://yammer.com/vistula",
        "Internal: sales, support and engineering share customer questions and wins so that "
        "everyone answers with one voice.",
        None, plateau=265, share_at_origin=0.55, growth_rate=0.01,
        reach_ratio=0.7, impressions_per_reach=1.4, engagement_rate=0.12, posts_per_week=14,
        mentions_per_day=1.5, response_minutes=(240, 60), revenue_per_click=0.0, rhythm="internal",
        lag_days=4,  # its integration stopped pushing: the demo's stale-data alert
    ),
)

_VS_CAMPAIGNS = (
    CampaignSpec(
        "Logistics Summit Warsaw", ("linkedin", "x"), 90000,
        "Our stand, two talks and live posts from the summit; meeting bookings via LinkedIn.",
        days=16, calendar_start=(10, 5), lift=1.1, follower_boost=0.035,
    ),
    CampaignSpec(
        "Route planning webinar series", ("linkedin", "youtube"), 40000,
        "Eight weekly webinars with customers; recordings on YouTube.",
        days=56, relative_start=-260, lift=0.5, follower_boost=0.05,
    ),
    CampaignSpec(
        "Case study: Baltic Freight", ("linkedin",), 25000,
        "How Baltic Freight cut empty kilometres by 18 % — article, video and sponsored posts.",
        days=21, relative_start=-300, lift=0.6, follower_boost=0.02,
    ),
)

_VS_GOALS = (
    GoalSpec(
        "Logistics managers follow us on LinkedIn",
        "{target:,.0f} LinkedIn followers by {deadline}: the audience our demo requests come from.",
        "position_in_field", "Marta (marketing)", "followers", "linkedin", "latest",
        start=-120, deadline=75, status="on_track",
    ),
    GoalSpec(
        "Everyone shares customer questions internally",
        "{target:,.0f} posts on the all-company network between {start} and {deadline}.",
        "internal_collaboration", "Piotr (COO)", "posts", "yammer", "total",
        start=-270, deadline=-30, status="achieved",
    ),
    GoalSpec(
        "A blog logistics people subscribe to",
        "{target:,.0f} newsletter subscribers by {deadline}.",
        "knowledge_base", "Tomasz (engineering)", "followers", "blog", "latest",
        start=-160, deadline=40, status="at_risk",
    ),
    GoalSpec(
        "Answer incident questions on X fast",
        "During and after incidents, median answer time on X at or below {target:,.0f} minutes.",
        "crisis_dialogue", "Ola (support lead)", "response_time_minutes", "x", "latest",
        start=-300, deadline=-10, status="missed", direction="down",
    ),
    GoalSpec(
        "Get quoted by the trade press",
        "{target:,.0f} mentions of Vistula on X between {start} and {deadline}.",
        "media_relations", "Marta (marketing)", "mentions", "x", "total",
        start=-150, deadline=60, status="off_track",
    ),
    GoalSpec(
        "Rank for route optimisation searches",
        "{target:,.0f} clicks from the blog to product pages between {start} and {deadline}.",
        "search_visibility", "Tomasz (engineering)", "clicks", "blog", "total",
        start=-90, deadline=90, status="on_track",
    ),
    GoalSpec(
        "Beta programme for the new dispatcher app",
        "{target:,.0f} comments from beta testers on LinkedIn between {start} and {deadline}.",
        "test_ideas", "Marta (marketing)", "comments", "linkedin", "total",
        start=30, deadline=150, status="not_started",
    ),
    GoalSpec(
        "Start conversations on LinkedIn, not broadcasts",
        "Engagement rate on LinkedIn up from {baseline:.1%} to {target:.1%} by {deadline}: ask "
        "questions, answer every comment in public.",
        "customer_relations", "Ola (support lead)", "engagement_rate", "linkedin", "latest",
        start=-150, deadline=60, status="off_track", baseline_days=28,
    ),
)

_VS_STRATEGY_1: dict[str, Any] = {
    "objective": "Be the name logistics managers in Central Europe think of for route planning, "
                 "and bring qualified demo requests to sales.",
    "business_alignment": "Vistula's plan is to double recurring revenue in three years, mostly "
                          "from mid-size carriers. Sales cycles are long; social media keeps us "
                          "visible and credible between the first contact and the contract.",
    "audiences": [
        {"name": "Logistics managers", "description": "Plan routes for 20–500 vehicles; judge "
         "tools by results at peers.", "channels": ["linkedin", "youtube"]},
        {"name": "Trade journalists", "description": "Cover logistics technology in Poland and "
         "the Baltics.", "channels": ["x", "linkedin"]},
    ],
    "engagement_approach": "Share what we learn from real routes: numbers, case studies and "
                           "webinars with customers; invite prospects to test new features early.",
    "personality": "A calm engineer who has driven the routes: precise, generous with knowledge, "
                   "never hype.",
    "channel_plan": [
        {"channel": "linkedin", "purpose": "Case studies, benchmarks, webinar invitations."},
        {"channel": "x", "purpose": "Product news and journalists."},
        {"channel": "youtube", "purpose": "Webinar recordings and walk-throughs."},
    ],
    "launch_plan": {"followers_target": 30000, "target_days": -200},
    "review_cadence": "quarterly",
    "status": "draft",
}
_VS_STRATEGY_2: dict[str, Any] = {
    **_VS_STRATEGY_1,
    "channel_plan": _VS_STRATEGY_1["channel_plan"] + [
        {"channel": "blog", "purpose": "Deep articles that rank in search and build a knowledge base."},
        {"channel": "yammer", "purpose": "Internal: one voice across sales, support and engineering."},
    ],
    "audiences": _VS_STRATEGY_1["audiences"] + [
        {"name": "Our own team", "description": "Sales, support and engineering who answer "
         "customers.", "channels": ["yammer"]},
    ],
    "status": "active",
    "review_cadence": "monthly",
}
_VS_STRATEGY_3: dict[str, Any] = {
    **_VS_STRATEGY_2,
    "channel_plan": [
        *_VS_STRATEGY_2["channel_plan"][:1],
        {"channel": "x", "purpose": "Status updates during incidents first, then product news "
                                     "and journalists."},
        *_VS_STRATEGY_2["channel_plan"][2:],
    ],
    "engagement_approach": _VS_STRATEGY_2["engagement_approach"] + " During incidents we post on X "
                           "every 30 minutes until resolved, and publish a plain post-mortem.",
    "launch_plan": {"followers_target": 50000, "target_days": 180},
}

VISTULA = CompanySpec(
    "Vistula Software", "B2B software", "Europe/Warsaw", "PLN",
    _VS_CHANNELS, _VS_CAMPAIGNS,
    CrisisSpec(-47, 7, "A six-hour outage of Vistula Route on a working morning; dispatchers "
               "could not plan routes and said so on X and LinkedIn.",
               mention_multiplier=9.0, negative_share=0.7),
    _VS_GOALS,
    ((-520, "member", _VS_STRATEGY_1), (-470, "admin", _VS_STRATEGY_2), (-40, "member", _VS_STRATEGY_3)),
    mention_share=0.24,
)

COMPANIES = (NORTHWIND, FJORD, VISTULA)
