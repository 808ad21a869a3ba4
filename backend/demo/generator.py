"""The demo's generator (pure: no database): the calendar of campaigns and crises counted from
the anchor, daily metrics of each channel from seeded random streams, and the design of goal
targets so that, on the day of seeding, the goals land in every status."""
from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from ..services.progress import compute_progress
from .content import HISTORY_DAYS, RHYTHMS, CampaignSpec, ChannelSpec, CompanySpec, GoalSpec

STORED_METRICS = (
    "followers", "reach", "impressions", "engagements", "likes", "comments", "shares", "clicks",
    "posts", "mentions", "mentions_positive", "mentions_neutral", "mentions_negative",
    "spend", "revenue", "response_time_minutes",
)
GAUGES = ("followers", "response_time_minutes")
CRISIS_BURST_SHARE = 0.5  # of the crisis's extra mentions (CrisisSpec.mention_multiplier) the demo has


# ============================================================================================
# Calendar: the dates of campaigns and the crisis, counted from the anchor
# ============================================================================================
@dataclass(frozen=True)
class CampaignDates:
    spec: CampaignSpec
    start: dt.date
    end: dt.date
    channels: tuple[str, ...]


def origin_of(anchor: dt.date) -> dt.date:
    """The first day of the demo's history."""
    return anchor - dt.timedelta(days=HISTORY_DAYS)


def channel_opened(channel: ChannelSpec, anchor: dt.date) -> dt.date:
    if channel.launched is None:
        return origin_of(anchor)
    return anchor - dt.timedelta(days=channel.launched)


def campaign_dates(company: CompanySpec, anchor: dt.date) -> list[CampaignDates]:
    """Each campaign's dates: seasonal ones on their latest calendar date that ended ≥ 45 days
    before the anchor; the others relative to the anchor."""
    out = []
    for spec in company.campaigns:
        if spec.calendar_start is not None:
            month, day = spec.calendar_start
            # the latest one that ended well before the anchor (goals judge it afterwards)
            start = dt.date(anchor.year, month, day)
            while start + dt.timedelta(days=spec.days + 45) > anchor:
                start = dt.date(start.year - 1, month, day)
        else:
            assert spec.relative_start is not None  # a campaign starts on a calendar date or relative to the anchor
            start = anchor + dt.timedelta(days=spec.relative_start)
        opened = {c.key: channel_opened(c, anchor) for c in company.channels}
        channels = tuple(k for k in spec.channels if opened[k] <= start)
        out.append(CampaignDates(spec, start, start + dt.timedelta(days=spec.days - 1), channels))
    return out


def crisis_dates(company: CompanySpec, anchor: dt.date) -> tuple[dt.date, dt.date]:
    start = anchor + dt.timedelta(days=company.crisis.start)
    return start, start + dt.timedelta(days=company.crisis.days - 1)


# ============================================================================================
# The generator: daily metrics of one channel (pure)
# ============================================================================================
def _noise(rng: random.Random, sigma: float) -> float:
    """A multiplicative noise factor with mean 1."""
    return math.exp(rng.gauss(0.0, sigma) - sigma * sigma / 2)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _logistic(t: float, plateau: float, rate: float, midpoint: float) -> float:
    x = -rate * (t - midpoint)
    if x > 700:
        return 0.0
    return plateau / (1.0 + math.exp(x))


def generate_channel(company: CompanySpec, channel: ChannelSpec, anchor: dt.date,
                     until: dt.date) -> Iterator[tuple[dt.date, dict[str, float]]]:
    """Yield ``(date, {metric: value})`` for every day the channel has data, up to ``until``.

    Followers grow logistically towards a plateau (plus what campaigns win); flows follow the
    audience with a weekday rhythm and noise, rise during campaigns, and mentions spike — mostly
    negative — in the crisis week. The noise is drawn day by day from one seeded stream per
    channel, so a longer run repeats a shorter one exactly and only adds days.
    """
    rng = random.Random(f"reachboard-demo|{company.name}|{channel.key}")
    mention_rng = random.Random(f"reachboard-demo-mentions|{company.name}|{channel.key}")
    origin = origin_of(anchor)
    opened = channel_opened(channel, anchor)
    t_open = (opened - origin).days
    k, r = channel.plateau, channel.growth_rate
    if channel.launched is None:
        midpoint = math.log(1 / channel.share_at_origin - 1) / r
    else:
        midpoint = t_open + math.log(k / channel.followers_at_launch - 1) / r
    rhythm = RHYTHMS[channel.rhythm]
    campaigns = [c for c in campaign_dates(company, anchor) if channel.key in c.channels]
    crisis_start, crisis_end = crisis_dates(company, anchor)
    rt_first, rt_long = channel.response_minutes

    followers = channel.followers_at_launch if channel.launched is not None else k * channel.share_at_origin
    day = opened
    t = t_open
    carry_negative = carry_positive = 0.0
    until = until - dt.timedelta(days=channel.lag_days)
    while day <= until:
        wd = rhythm[day.weekday()]
        # campaign effect: a bell over the campaign days (0 outside), boosts and spend
        lift, boost, spend = 0.0, 0.0, 0.0
        for c in campaigns:
            if c.start <= day <= c.end:
                n = (c.end - c.start).days + 1
                x = ((day - c.start).days + 0.5) / n
                bell = math.sin(math.pi * x) ** 0.7
                lift += c.spec.lift * bell
                boost += c.spec.follower_boost * k * bell / (n * 0.6)
                spend += c.spec.budget * 0.94 / (n * len(c.channels)) * _noise(rng, 0.18)
        in_crisis = crisis_start <= day <= crisis_end
        crisis_k = (day - crisis_start).days if in_crisis else -1

        # followers (gauge): logistic increments with noise, campaign boosts; a stall in the crisis
        if t > t_open:
            organic = _logistic(t, k, r, midpoint) - _logistic(t - 1, k, r, midpoint)
            inc = max(0.0, organic) * _noise(rng, 0.35) * math.sqrt(wd) + boost * _noise(rng, 0.25)
            if in_crisis:
                inc *= 0.1
            followers += inc
        else:
            _noise(rng, 0.35), _noise(rng, 0.25)  # keep the stream aligned
        f = round(followers)

        # posting and reach
        posts = _poisson(rng, channel.posts_per_week / 7 * wd * (1 + 0.6 * lift))
        post_effect = 0.85 + 0.15 * min(posts, 3)
        reach = f * channel.reach_ratio * wd * post_effect * (1 + lift) * _noise(rng, 0.16)
        if in_crisis:
            reach *= 1.35
        reach = round(reach)
        impressions = max(reach, round(reach * channel.impressions_per_reach * _noise(rng, 0.06)))
        er = channel.engagement_rate * (1 + 0.15 * lift) * _noise(rng, 0.15)
        if in_crisis:
            er *= 1.3
        comment_share = 0.10 * (2.2 if in_crisis else 1.0)
        likes = round(reach * er * 0.6 * _noise(rng, 0.08))
        comments = round(reach * er * comment_share * _noise(rng, 0.2))
        shares = round(reach * er * 0.08 * _noise(rng, 0.25))
        clicks = round(reach * er * 0.22 * (1 + 0.5 * lift) * _noise(rng, 0.2))
        engagements = likes + comments + shares + clicks

        # listening: mentions and their sentiment; parts always add up to the total. The demo has
        # every mention as a record (backend/demo/listening.py), so the everyday volume is the
        # company's ``mention_share`` of the channel's, plus the crisis burst; the count comes from
        # its own stream (the main one draws as it always did, so no other metric changes).
        audience = math.sqrt(max(f, 1) / k)
        mean_mentions = channel.mentions_per_day * audience * wd * (1 + 0.7 * lift)
        burst = 0.0
        if in_crisis:
            burst = mean_mentions * (company.crisis.mention_multiplier - 1) * math.exp(-crisis_k / 2.5)
        _poisson(rng, (mean_mentions + burst) * _noise(rng, 0.2))  # keep the stream aligned
        mentions = _poisson(mention_rng, (mean_mentions * company.mention_share + burst * CRISIS_BURST_SHARE)
                            * _noise(mention_rng, 0.2))
        negative_share = company.crisis.negative_share * math.exp(-crisis_k / 4) if in_crisis else 0.07
        negative_share = min(0.95, max(negative_share, 0.07) * _noise(rng, 0.3))
        positive_share = (0.52 if not in_crisis else 0.2) * _noise(rng, 0.12)
        # A few mentions a day: the shares are carried over from day to day (rounding each day
        # alone would leave no day negative), so the everyday complaint comes every few days.
        carry_negative += mentions * negative_share
        negative = min(mentions, round(carry_negative))
        carry_negative -= negative
        carry_positive += mentions * positive_share
        positive = min(mentions - negative, round(carry_positive))
        carry_positive -= positive
        if not in_crisis and negative > positive:  # an ordinary day: praise outweighs complaints
            carry_negative += negative - positive
            negative = positive
        neutral = mentions - negative - positive

        # answers get faster as the team learns; slow in the crisis
        rt = rt_long + (rt_first - rt_long) * math.exp(-t / 170)
        rt *= _noise(rng, 0.12) * (2.6 if in_crisis else 1.0)

        revenue = clicks * channel.revenue_per_click * (1 + 0.3 * lift) * _noise(rng, 0.35)

        yield day, {
            "followers": float(f),
            "reach": float(reach),
            "impressions": float(impressions),
            "engagements": float(engagements),
            "likes": float(likes),
            "comments": float(comments),
            "shares": float(shares),
            "clicks": float(clicks),
            "posts": float(posts),
            "mentions": float(mentions),
            "mentions_positive": float(positive),
            "mentions_neutral": float(neutral),
            "mentions_negative": float(negative),
            "spend": round(spend, 2),
            "revenue": round(revenue, 2),
            "response_time_minutes": round(rt, 1),
        }
        day += dt.timedelta(days=1)
        t += 1


Series = dict[tuple[str, str], list[tuple[dt.date, float]]]  # (channel, metric) -> [(date, value)]


def generate_company(company: CompanySpec, anchor: dt.date, until: dt.date) -> Series:
    """Every stored metric of every channel of a demo company, as daily series."""
    series: Series = defaultdict(list)
    for channel in company.channels:
        for day, values in generate_channel(company, channel, anchor, until):
            for metric, value in values.items():
                series[(channel.key, metric)].append((day, value))
    return dict(series)


# ============================================================================================
# Goal design: pick each goal's target so it shows the intended status on the day of seeding
# ============================================================================================
def kpi_daily(series: Series, metric: str, channel: str) -> list[tuple[dt.date, float]]:
    """Daily values of a KPI as the progress engine sees them: one channel or "all" (gauges:
    sum of each channel's latest value carried forward; flows: summed; ratios per day)."""
    def stored(m: str) -> dict[dt.date, float]:
        if channel != "all":
            return dict(series.get((channel, m), []))
        per_channel = [dict(pts) for (ch, mm), pts in series.items() if mm == m]
        days = sorted({d for pc in per_channel for d in pc})
        out: dict[dt.date, float] = {}
        last: list[float | None] = [None] * len(per_channel)
        for d in days:
            for i, pc in enumerate(per_channel):
                if d in pc:
                    last[i] = pc[d]
                elif m not in GAUGES:
                    last[i] = None
            known = [v for v in last if v is not None]
            out[d] = sum(known)
        return out

    if metric in STORED_METRICS:
        values = stored(metric)
    elif metric == "engagement_rate":
        num, den = stored("engagements"), stored("reach")
        values = {d: num[d] / den[d] for d in den if den[d] and d in num}
    elif metric == "sentiment_score":
        pos, neg, tot = stored("mentions_positive"), stored("mentions_negative"), stored("mentions")
        values = {d: (pos.get(d, 0) - neg.get(d, 0)) / tot[d] for d in tot if tot[d]}
    else:
        raise ValueError(f"the demo cannot design a goal on {metric}")
    return sorted(values.items())


def _fit_line(points: list[tuple[dt.date, float]], as_of: dt.date) -> tuple[float, float]:
    """Least squares through the points: (value at as_of, slope per day)."""
    xs = [(d - as_of).days for d, _ in points]
    ys = [v for _, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - slope * mx, slope


def nice_round(value: float, tolerance: float) -> float:
    """The roundest number within ``tolerance`` of ``value`` (1, 2, 5 × a power of ten)."""
    if tolerance <= 0:
        return value
    for exp in range(int(math.floor(math.log10(max(abs(value), tolerance)))) + 1, -7, -1):
        for mult in (5, 2, 1):
            step = mult * 10.0 ** exp
            if step > tolerance * 2:
                continue
            rounded = round(value / step) * step
            if abs(rounded - value) <= tolerance:
                return float(f"{rounded:.10g}")
    return value


@dataclass
class DesignedGoal:
    spec: GoalSpec
    start: dt.date
    deadline: dt.date
    target: float
    baseline: float | None = None  # None: the progress engine takes it from the data

    def fields(self) -> dict:
        description = self.spec.description.format(
            target=self.target, baseline=self.baseline, start=self.start.strftime("%-d %B %Y"),
            deadline=self.deadline.strftime("%-d %B %Y"))
        return {
            "title": self.spec.title,
            "description": description,
            "category": self.spec.category,
            "owner": self.spec.owner,
            "kpi": {
                "metric": self.spec.metric, "channel": self.spec.channel,
                "aggregation": self.spec.aggregation, "target": self.target, "baseline": self.baseline,
                "start_date": self.start, "deadline": self.deadline,
            },
        }


def goal_base(spec: GoalSpec, today: dt.date, anchor: dt.date, campaigns: list[CampaignDates],
              crisis_start: dt.date) -> dt.date:
    """The day a goal's start and deadline are counted from (see ``GoalSpec``)."""
    if spec.campaign:
        return next(c.start for c in campaigns if c.spec.name == spec.campaign)
    if spec.crisis:
        return crisis_start
    return anchor if spec.deadline < 0 else today


def design_goal(spec: GoalSpec, daily: list[tuple[dt.date, float]], today: dt.date, base: dt.date) -> DesignedGoal:
    """Choose the target so that, as of ``today`` (the day of seeding), the goal has the status
    ``spec.status``; its dates are counted from ``base`` (see :func:`goal_base`).

    The forecast of a ``latest`` goal is a least-squares line through the last 28 days; of a
    ``total`` goal the mean of the last 28 days carried forward. On track: the line reaches the
    target about halfway between today and the deadline. At risk: just after the deadline,
    within its 10 % grace. Off track: long after it. The target is then rounded to the roundest
    number that keeps the forecast inside the intended window, and the result is checked with
    the progress engine itself.
    """
    start = base + dt.timedelta(days=spec.start)
    deadline = base + dt.timedelta(days=spec.deadline)
    sign = 1 if spec.direction == "up" else -1
    judged_on = min(today, deadline)  # after the deadline a goal is judged on its deadline
    upto = [(d, v) for d, v in daily if d <= judged_on]
    if not upto:
        raise ValueError(f"no data for goal {spec.title!r}")
    duration = (deadline - start).days
    window = [(d, v) for d, v in upto if d > judged_on - dt.timedelta(days=28)]

    if spec.aggregation == "total":
        current = sum(v for d, v in upto if d >= start)
        level, rate = current, sum(v for _, v in window) / 28
        baseline = 0.0
        best = current
    else:
        current = upto[-1][1]
        level, rate = _fit_line(window, judged_on)
        before = [v for d, v in upto if d <= start]
        baseline = before[-1] if before else next(v for d, v in daily if d > start)
        if spec.baseline_days:
            baseline = round(sum(before[-spec.baseline_days:]) / len(before[-spec.baseline_days:]), 4)
        since = [sign * v for d, v in upto if d >= start] or [sign * current]
        best = sign * max(since)  # the best value reached in the goal's period
    towards = sign * rate > 0

    status = spec.status
    if status == "achieved":
        if sign * (current - baseline) <= 0:
            raise ValueError(f"{spec.title!r}: no improvement to call achieved")
        raw, tol = baseline + 0.8 * (current - baseline), 0.15 * abs(current - baseline)
    elif status == "not_started":
        if spec.aggregation == "total":
            raw, tol = rate * duration, 0.1 * rate * duration
        else:
            raw, tol = current * (1 + 0.3 * sign), 0.1 * abs(current)
    elif status == "missed":
        span = max(abs(best - baseline), 0.1 * abs(best))
        raw, tol = best + sign * 0.3 * span, 0.1 * span
    elif status == "off_track" and not towards:  # the trend moves away: any honest stretch will do
        ref = sign * max(sign * current, sign * baseline)
        raw, tol = ref + sign * 0.2 * abs(ref), 0.05 * abs(ref)
    else:
        if not towards:
            raise ValueError(f"{spec.title!r}: the trend does not move towards the target")
        days_left = (deadline - today).days
        when = {"on_track": 0.5 * days_left, "at_risk": days_left + 0.05 * duration,
                "off_track": days_left + 0.6 * duration}[status]
        margin = {"on_track": 0.4 * days_left, "at_risk": 0.04 * duration, "off_track": 0.3 * duration}[status]
        raw, tol = level + rate * when, abs(rate) * margin
        if status == "off_track":  # and beyond anything reached so far
            raw = sign * max(sign * raw, sign * best + 0.3 * abs(best - baseline))
    if status != "achieved":
        if sign * (raw - current) <= 0:
            raise ValueError(f"{spec.title!r}: the target would already be reached")
        tol = min(tol, 0.5 * abs(raw - current))
    target = nice_round(raw, tol)
    designed = DesignedGoal(spec, start, deadline, target, baseline if spec.baseline_days else None)
    got = compute_progress(designed.fields()["kpi"], daily, today)["status"]
    if got != status:
        raise ValueError(f"{spec.title!r}: designed as {status} but the progress engine says {got}")
    return designed


