"""Channels: a company's presences on social platforms, keyed inside the company (``facebook``)."""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, delete, func, select

from ..extensions import db
from ..models import Campaign, Channel, Goal, MetricPoint, Strategy
from ..tenancy import current_principal
from . import audit
from .companies import get_company
from .errors import Conflict, NotFound
from .validation import SLUG_RE, Problems, check_version

PLATFORMS = ("facebook", "x", "instagram", "linkedin", "youtube", "tiktok", "blog", "slideshare", "yammer", "other")
RESERVED_KEYS = ("all",)  # "all" means every channel combined in goals and metric reads
FIELDS = ("key", "platform", "name", "handle", "url", "purpose", "followers_target", "active")
KEY_MAX = 64


def list_channels(company_id: uuid.UUID | str, *, active: bool | None = None) -> Select[Channel]:
    """A select of the company's channels, by key. Metrics-push keys may list them too."""
    current_principal().require("channels:list")
    company = get_company(company_id)
    stmt = select(Channel).where(Channel.company_id == company.id).order_by(Channel.key)
    if active is not None:
        stmt = stmt.where(Channel.active.is_(active))
    return stmt


def all_channels(company_id: uuid.UUID | str, *, active: bool | None = None) -> list[Channel]:
    """The channels :func:`list_channels` selects, by key."""
    return list(db.session.scalars(list_channels(company_id, active=active)))


def _web_address(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def channel_keys(company_id: uuid.UUID | str) -> set[str]:
    """The keys of the company's channels (no rights check: used inside other services)."""
    company = get_company(company_id)
    return set(db.session.scalars(select(Channel.key).where(Channel.company_id == company.id)))


def get_channel(company_id: uuid.UUID | str, key: str) -> Channel:
    current_principal().require("read")
    company = get_company(company_id)
    channel = db.session.scalars(
        select(Channel).where(Channel.company_id == company.id, Channel.key == key)
    ).first()
    if channel is None:
        raise NotFound("No channel with this key.")
    return channel


def _clean(data: dict[str, Any], problems: Problems, *, creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating or "key" in data:
        key = data.get("key")
        if not isinstance(key, str) or not key.strip():
            problems.add("key", "Missing data for required field.")
        else:
            key = key.strip()
            if len(key) > KEY_MAX or not SLUG_RE.match(key):
                problems.add("key", "Use lowercase letters and digits, joined by single hyphens or underscores "
                                    f"(like 'x-support'), at most {KEY_MAX} characters.")
            elif key in RESERVED_KEYS:
                problems.add("key", f"'{key}' is reserved (it means every channel combined).")
            else:
                out["key"] = key
    if creating or "platform" in data:
        if creating and data.get("platform") is None:
            problems.add("platform", "Missing data for required field.")
        else:
            value = problems.choice("platform", data.get("platform"), PLATFORMS)
            if value is not None:
                out["platform"] = value
    for name, limit in (("name", 200), ("handle", 200), ("url", 2000), ("purpose", 10_000)):
        if name in data:
            value = problems.text(name, data[name], limit=limit)
            if value and name == "url" and not _web_address(value):
                problems.add("url", "Must be a web address starting with http:// or https://.")
            elif value is not None:
                out[name] = value
    if "followers_target" in data:
        target = problems.number("followers_target", data["followers_target"], required=False, minimum=0)
        if not problems.has("followers_target"):
            out["followers_target"] = target
    if "active" in data:
        active = problems.boolean("active", data["active"])
        if active is not None:
            out["active"] = active
    if creating and "name" not in out and "key" in out:
        out["name"] = out["key"]
    return out


def _key_taken(company_id: uuid.UUID, key: str) -> bool:
    return bool(db.session.scalar(
        select(func.count()).select_from(Channel).where(Channel.company_id == company_id, Channel.key == key)
    ))


def _duplicate(key: str) -> Conflict:
    return Conflict(f"This company already has a channel with the key '{key}'.",
                    errors=[{"field": "key", "message": "This key is already used by another channel of the company."}])


def create_channel(company_id: uuid.UUID | str, data: dict[str, Any]) -> Channel:
    """Add a channel. 422 naming the field on bad input, 409 when the key is taken."""
    current_principal().require("write")
    company = get_company(company_id)
    problems = Problems()
    clean = _clean(data, problems, creating=True)
    problems.raise_if_any()
    if _key_taken(company.id, clean["key"]):
        raise _duplicate(clean["key"])
    channel = Channel(company_id=company.id, agency_id=company.agency_id, **clean)
    db.session.add(channel)
    db.session.flush()
    audit.record("channel.create", channel, summary=f"Added channel {channel.key} ({channel.platform})")
    db.session.commit()
    return channel


def update_channel(company_id: uuid.UUID | str, key: str, data: dict[str, Any], *,
                   expected_version: int | None = None) -> Channel:
    """Change a channel's fields. The key is fixed once created (pushers and goals use it)."""
    current_principal().require("write")
    channel = get_channel(company_id, key)
    check_version(channel, expected_version, "channel")
    problems = Problems()
    if "key" in data and data["key"] != channel.key:
        problems.add("key", "A channel's key cannot be changed; pushers and goals refer to it. "
                            "Add a new channel instead.")
    data = {k: v for k, v in data.items() if k != "key"}
    clean = _clean(data, problems, creating=False)
    problems.raise_if_any()
    changed = [k for k, v in clean.items() if getattr(channel, k) != v]
    for k in changed:
        setattr(channel, k, clean[k])
    if changed:
        channel.version += 1
        audit.record("channel.update", channel, summary=f"Changed {', '.join(changed)} of channel {channel.key}")
    db.session.commit()
    return channel


def channel_references(company_id: uuid.UUID, key: str) -> list[dict[str, str]]:
    """Where a channel key is used by goals, the strategy or campaigns (blocks deletion)."""
    refs: list[dict[str, str]] = []
    for goal in db.session.scalars(select(Goal).where(Goal.company_id == company_id, Goal.kpi_channel == key)):
        refs.append({"field": "goals", "message": f"Goal '{goal.title}' measures this channel."})
    strategy = db.session.scalars(select(Strategy).where(Strategy.company_id == company_id)).first()
    if strategy is not None:
        if any(key in (a.get("channels") or []) for a in strategy.audiences or []):
            refs.append({"field": "strategy.audiences", "message": "An audience of the strategy uses this channel."})
        if any(p.get("channel") == key for p in strategy.channel_plan or []):
            refs.append({"field": "strategy.channel_plan", "message": "The strategy's channel plan uses this channel."})
    for campaign in db.session.scalars(select(Campaign).where(Campaign.company_id == company_id)):
        if key in (campaign.channels or []):
            refs.append({"field": "campaigns", "message": f"Campaign '{campaign.name}' runs on this channel."})
    return refs


def metric_point_count(channel: Channel) -> int:
    return db.session.scalar(
        select(func.count()).select_from(MetricPoint).where(MetricPoint.channel_id == channel.id)
    ) or 0


def delete_channel(company_id: uuid.UUID | str, key: str, *, force: bool = False,
                   expected_version: int | None = None) -> int:
    """Delete a channel; returns how many metric points went with it.

    A channel with metrics is only deleted with ``force=True`` (channel and data in one
    transaction). A channel that goals, the strategy or campaigns refer to is never deleted
    (409 naming them): change those first, or mark the channel inactive.
    """
    current_principal().require("write")
    channel = get_channel(company_id, key)
    check_version(channel, expected_version, "channel")
    refs = channel_references(channel.company_id, channel.key)
    if refs:
        raise Conflict(f"The channel '{key}' is still in use; change what refers to it, or mark it inactive.",
                       errors=refs)
    points = metric_point_count(channel)
    if points and not force:
        raise Conflict(f"The channel '{key}' has {points} metric values. Delete with force=true to remove "
                       "the channel and its data together.", metric_points=points)
    if points:
        db.session.execute(delete(MetricPoint).where(MetricPoint.channel_id == channel.id)
                           .execution_options(synchronize_session=False))
    audit.record("channel.delete", channel,
                 summary=f"Deleted channel {channel.key}" + (f" and {points} metric values" if points else ""))
    db.session.delete(channel)
    db.session.commit()
    return points
