"""The metric catalog: built-in gauges, flows and derived metrics, plus an agency's custom ones."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import MetricDefinition
from ..tenancy import current_principal
from . import audit, privileges
from .errors import Conflict
from .memo import request_memo

GAUGE, FLOW, DERIVED = "gauge", "flow", "derived"
SIGNED_METRICS = frozenset({"follower_growth", "roi", "sentiment_score"})  # built-ins that may be negative
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: str
    kind: str  # gauge | flow | derived
    better: str = "higher"  # higher | lower
    builtin: bool = True
    # Derived metrics: the stored metrics they are computed from, and how (see ``derive``).
    inputs: tuple[str, ...] = field(default=())
    description: str = ""
    # A gauge's value for channels together: "sum" of their levels (followers), or the "mean" of
    # values that do not add up (a median answer time per channel).
    combine: str = "sum"

    @property
    def nonnegative(self) -> bool:
        """Built-in counts, levels and rates never go below 0 (growth, ROI and sentiment may)."""
        return self.builtin and self.key not in SIGNED_METRICS

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs"] = list(self.inputs)
        del d["combine"]
        return d


BUILTIN: dict[str, MetricDef] = {
    m.key: m
    for m in [
        MetricDef("followers", "Followers", "followers", GAUGE, description="People following the channel"),
        MetricDef("response_time_minutes", "Response time", "minutes", GAUGE, "lower",
                  description="Median time to answer a question or mention; channels together: the mean "
                              "of their medians", combine="mean"),
        MetricDef("reach", "Reach", "people", FLOW, description="Unique people who saw content that day"),
        MetricDef("impressions", "Impressions", "views", FLOW, description="Times content was shown"),
        MetricDef("engagements", "Engagements", "actions", FLOW, description="Likes, comments, shares, clicks ..."),
        MetricDef("likes", "Likes", "likes", FLOW),
        MetricDef("comments", "Comments", "comments", FLOW),
        MetricDef("shares", "Shares", "shares", FLOW),
        MetricDef("clicks", "Clicks", "clicks", FLOW),
        MetricDef("posts", "Posts", "posts", FLOW, description="Posts published that day"),
        MetricDef("mentions", "Mentions", "mentions", FLOW, description="Times the company was mentioned"),
        MetricDef("mentions_positive", "Positive mentions", "mentions", FLOW),
        MetricDef("mentions_neutral", "Neutral mentions", "mentions", FLOW),
        MetricDef("mentions_negative", "Negative mentions", "mentions", FLOW, "lower"),
        MetricDef("spend", "Spend", "currency", FLOW, "lower", description="Money spent (ads, boosts)"),
        MetricDef("revenue", "Revenue", "currency", FLOW, description="Revenue attributed to social media"),
        MetricDef("engagement_rate", "Engagement rate", "ratio", DERIVED, inputs=("engagements", "reach"),
                  description="engagements / reach"),
        MetricDef("follower_growth", "Follower growth", "followers", DERIVED, inputs=("followers",),
                  description="Change in followers over the period"),
        MetricDef("cost_per_1k_reach", "Cost per 1k reach", "currency", DERIVED, "lower",
                  inputs=("spend", "reach"), description="spend / reach × 1000"),
        MetricDef("roi", "Return on investment", "ratio", DERIVED, inputs=("revenue", "spend"),
                  description="(revenue − spend) / spend"),
        MetricDef("sentiment_score", "Sentiment score", "score", DERIVED,
                  inputs=("mentions_positive", "mentions_negative", "mentions"),
                  description="(positive − negative) / mentions, from −1 to 1"),
    ]
}


# Each ratio's denominator and numerators. A ratio over several days (a card's period, a week, a
# month, every channel together) is computed from the (channel, day) pairs where the denominator
# and at least one numerator were both reported, so that it is a weighted average of the daily
# values the chart shows — never a sum over 2 days divided by the reach of 30.
RATIO_PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "engagement_rate": ("reach", ("engagements",)),
    "cost_per_1k_reach": ("reach", ("spend",)),
    "roi": ("spend", ("revenue",)),
    "sentiment_score": ("mentions", ("mentions_positive", "mentions_negative")),
}


def derive(key: str, inputs: Mapping[str, float | None]) -> float | None:
    """Compute a ratio-type derived metric from aggregated inputs; None when undefined.

    ``follower_growth`` is not a ratio: it is the change of the followers gauge and is computed
    by the metrics service from consecutive values.
    """
    g = inputs.get
    if key == "engagement_rate":
        engagements, reach = g("engagements"), g("reach")
        return engagements / reach if reach and engagements is not None else None
    if key == "cost_per_1k_reach":
        spend, reach = g("spend"), g("reach")
        return spend / reach * 1000 if reach and spend is not None else None
    if key == "roi":
        revenue, spend = g("revenue"), g("spend")
        return (revenue - spend) / spend if spend and revenue is not None else None
    if key == "sentiment_score":
        mentions = g("mentions")
        if not mentions:
            return None
        return ((g("mentions_positive") or 0) - (g("mentions_negative") or 0)) / mentions
    raise KeyError(key)


def aggregations(defn: MetricDef) -> tuple[str, ...]:
    """How a goal may aggregate this metric: ``latest`` for levels (gauges, ratios), ``total`` for
    amounts per day (flows, follower_growth)."""
    if defn.kind == FLOW or defn.key == "follower_growth":
        return ("total",)
    return ("latest",)


def definitions() -> dict[str, MetricDef]:
    """Every metric the principal's agency knows: built-ins, then its custom ones (remembered for
    the rest of the request, per principal; creating a definition forgets it)."""
    memo = request_memo("metric_definitions")
    key = current_principal()
    if memo is not None and key in memo:
        return dict(memo[key])
    out = dict(BUILTIN)
    for row in db.session.scalars(select(MetricDefinition).order_by(MetricDefinition.key)):
        out[row.key] = MetricDef(row.key, row.label, row.unit, row.kind, row.better, builtin=False)
    if memo is not None:
        memo[key] = dict(out)
    return out


def get(key: str) -> MetricDef | None:
    if key in BUILTIN:
        return BUILTIN[key]
    row = db.session.scalars(select(MetricDefinition).where(MetricDefinition.key == key)).first()
    return MetricDef(row.key, row.label, row.unit, row.kind, row.better, builtin=False) if row else None


def storable(defs: dict[str, MetricDef] | None = None) -> dict[str, MetricDef]:
    """Metrics that can be pushed (gauges and flows, not derived)."""
    defs = defs or definitions()
    return {k: d for k, d in defs.items() if d.kind != DERIVED}


def list_definitions() -> list[MetricDef]:
    """The catalog as the API lists it: agency-level data, for agency-wide principals only."""
    privileges.require_agency_wide(current_principal())
    return list(definitions().values())


def create_definition(data: dict[str, Any]) -> MetricDef:
    """Add a custom gauge or flow to the agency's catalog (write/admin).

    422 naming the field on bad input (a built-in key included), 409 when the agency already has it.
    """
    from .validation import Problems

    p = current_principal()
    privileges.require_agency_wide(p)
    p.require("write", "Adding metrics needs the write or admin permission.")
    problems = Problems()
    key = data.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        problems.add("key", "Use lowercase letters, digits and underscores, starting with a letter (at most 64).")
    elif key in BUILTIN:
        problems.add("key", f"'{key}' is a built-in metric; choose another key.")
    if data.get("kind") not in (GAUGE, FLOW):
        problems.add("kind", "Custom metrics are 'gauge' or 'flow'.")
    better = data.get("better") or "higher"
    if better not in ("higher", "lower"):
        problems.add("better", "Must be 'higher' or 'lower'.")
    label = problems.text("label", data.get("label"), limit=200)
    unit = problems.text("unit", data.get("unit"), limit=32)
    problems.raise_if_any()
    assert isinstance(key, str)  # a missing or malformed key was a problem, raised above
    duplicate = Conflict(f"The metric '{key}' already exists.",
                         errors=[{"field": "key", "message": "This key is already in the catalog."}])
    if get(key) is not None:
        raise duplicate
    row = MetricDefinition(key=key, label=label or key, unit=unit or "", kind=data["kind"], better=better)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise duplicate from None
    audit.record("metric_definition.create", row, object_type="metric_definition", summary=f"Added metric {key}")
    db.session.commit()
    memo = request_memo("metric_definitions")
    if memo is not None:
        memo.clear()
    return MetricDef(row.key, row.label, row.unit, row.kind, row.better, builtin=False)
