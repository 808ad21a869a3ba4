"""A company's social-media strategy, one per company, with every saved version kept.

Every company starts with an empty draft at revision 0 (made with the company). Each save that
changes something bumps the revision and stores a :class:`StrategyRevision` with a full snapshot
and the changed fields (old and new value), so any past version can be shown again.
"""
from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Strategy, StrategyRevision, utcnow
from ..tenancy import current_principal
from . import audit
from .channels import channel_keys
from .companies import get_company
from .errors import NotFound, StaleObject
from .validation import Problems

TEXT_FIELDS = ("objective", "business_alignment", "engagement_approach", "personality")
FIELDS = ("objective", "business_alignment", "audiences", "engagement_approach", "personality",
          "channel_plan", "launch_plan", "review_cadence", "status")
REVIEW_CADENCES = ("weekly", "monthly", "quarterly")
STATUSES = ("draft", "active", "archived")
MAX_ITEMS = 50
DEFAULTS: dict[str, Any] = {
    "objective": "", "business_alignment": "", "audiences": [], "engagement_approach": "",
    "personality": "", "channel_plan": [], "launch_plan": {}, "review_cadence": "monthly", "status": "draft",
}


def get_strategy(company_id: uuid.UUID | str) -> Strategy:
    """The company's current strategy (a new company has the empty draft, revision 0)."""
    current_principal().require("read")
    company = get_company(company_id)
    strategy = db.session.scalars(select(Strategy).where(Strategy.company_id == company.id)).first()
    if strategy is None:  # companies made before strategies existed: give them their draft
        strategy = Strategy(company_id=company.id, agency_id=company.agency_id)
        db.session.add(strategy)
        db.session.flush()
    return strategy


def snapshot(strategy: Strategy) -> dict[str, Any]:
    """The strategy's fields as plain JSON values (what a revision stores)."""
    return {name: copy.deepcopy(getattr(strategy, name)) if getattr(strategy, name) is not None
            else copy.deepcopy(DEFAULTS[name]) for name in FIELDS}


def _clean_audiences(value: object, problems: Problems, known: set[str]) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        problems.add("audiences", "Must be a list.")
        return None
    if len(value) > MAX_ITEMS:
        problems.add("audiences", f"At most {MAX_ITEMS} audiences.")
        return None
    out = []
    for i, item in enumerate(value):
        where = f"audiences.{i}"
        if not isinstance(item, dict):
            problems.add(where, "Must be an object with name, description and channels.")
            continue
        for extra in sorted(set(item) - {"name", "description", "channels"}):
            problems.add(f"{where}.{extra}", "Unknown field.")
        name = problems.text(f"{where}.name", item.get("name"), limit=200, required=True)
        description = problems.text(f"{where}.description", item.get("description"))
        channels = item.get("channels") or []
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            problems.add(f"{where}.channels", "Must be a list of channel keys.")
            channels = []
        for j, key in enumerate(channels):
            if key not in known:
                problems.add(f"{where}.channels.{j}", f"The company has no channel '{key}'.")
        if len(set(channels)) != len(channels):
            problems.add(f"{where}.channels", "A channel is listed twice.")
        out.append({"name": name, "description": description, "channels": list(channels)})
    return out


def _clean_channel_plan(value: object, problems: Problems, known: set[str]) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        problems.add("channel_plan", "Must be a list.")
        return None
    if len(value) > MAX_ITEMS:
        problems.add("channel_plan", f"At most {MAX_ITEMS} entries.")
        return None
    out, seen = [], set()
    for i, item in enumerate(value):
        where = f"channel_plan.{i}"
        if not isinstance(item, dict):
            problems.add(where, "Must be an object with channel and purpose.")
            continue
        for extra in sorted(set(item) - {"channel", "purpose"}):
            problems.add(f"{where}.{extra}", "Unknown field.")
        key = item.get("channel")
        if not isinstance(key, str) or not key:
            problems.add(f"{where}.channel", "Missing data for required field.")
        elif key not in known:
            problems.add(f"{where}.channel", f"The company has no channel '{key}'.")
        elif key in seen:
            problems.add(f"{where}.channel", f"The channel '{key}' is already in the plan.")
        seen.add(key)
        purpose = problems.text(f"{where}.purpose", item.get("purpose"))
        out.append({"channel": key, "purpose": purpose})
    return out


def _clean_launch_plan(value: object, problems: Problems) -> dict[str, Any] | None:
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict):
        problems.add("launch_plan", "Must be an object with followers_target and target_date.")
        return None
    for extra in sorted(set(value) - {"followers_target", "target_date"}):
        problems.add(f"launch_plan.{extra}", "Unknown field.")
    target = problems.number("launch_plan.followers_target", value.get("followers_target"), exclusive_minimum=0)
    date = problems.date("launch_plan.target_date", value.get("target_date"))
    if target is None or date is None:
        return None
    return {"followers_target": int(target) if target.is_integer() else target, "target_date": date.isoformat()}


def _clean(data: dict[str, Any], problems: Problems, known: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(set(data) - set(FIELDS)):
        problems.add(name, "Unknown field.")
    for name in TEXT_FIELDS:
        if name in data:
            out[name] = problems.text(name, data[name])
    if "audiences" in data:
        out["audiences"] = _clean_audiences(data["audiences"] if data["audiences"] is not None else [], problems, known)
    if "channel_plan" in data:
        value = data["channel_plan"] if data["channel_plan"] is not None else []
        out["channel_plan"] = _clean_channel_plan(value, problems, known)
    if "launch_plan" in data:
        out["launch_plan"] = _clean_launch_plan(data["launch_plan"], problems)
    if "review_cadence" in data:
        out["review_cadence"] = problems.choice("review_cadence", data["review_cadence"], REVIEW_CADENCES)
    if "status" in data:
        out["status"] = problems.choice("status", data["status"], STATUSES)
    return out


def update_strategy(company_id: uuid.UUID | str, data: dict[str, Any], *, expected_revision: int | None = None,
                    replace: bool = False) -> Strategy:
    """Save the strategy; a new revision only when something changed.

    :param replace: True (the API's PUT): fields left out get their defaults (empty text and
        lists, review_cadence monthly, status draft). False: only the given fields change.
    :param expected_revision: the revision the caller edited; a different current revision
        raises :class:`StaleObject` (409) and nothing is saved.
    """
    p = current_principal()
    p.require("write")
    strategy = get_strategy(company_id)
    if expected_revision is not None and expected_revision != strategy.revision:
        raise StaleObject(
            f"The strategy was saved by someone else meanwhile (you edited revision {expected_revision}, "
            f"it is now at revision {strategy.revision}); reload and try again.",
            current_revision=strategy.revision,
        )
    if replace:
        data = {**copy.deepcopy(DEFAULTS), **data}
    problems = Problems()
    clean = _clean(data, problems, channel_keys(strategy.company_id))
    problems.raise_if_any()

    before = snapshot(strategy)
    after = {**before, **clean}
    changes = {name: {"old": before[name], "new": after[name]} for name in FIELDS if before[name] != after[name]}
    if not changes:
        db.session.commit()
        return strategy
    for name in changes:
        setattr(strategy, name, copy.deepcopy(after[name]))
    strategy.revision += 1
    strategy.updated_at = utcnow()
    strategy.updated_by = p.label
    db.session.add(StrategyRevision(
        company_id=strategy.company_id, agency_id=strategy.agency_id, revision=strategy.revision,
        snapshot=after, changes=changes, created_at=strategy.updated_at, created_by=p.label,
    ))
    audit.record("strategy.update", strategy, object_type="strategy",
                 summary=f"Saved strategy revision {strategy.revision} ({', '.join(changes)})")
    try:
        db.session.commit()
    except IntegrityError:  # two saves of the same revision at once: the other one won
        db.session.rollback()
        raise StaleObject("The strategy was saved by someone else at the same moment; reload and try again.") from None
    return strategy


def list_revisions(company_id: uuid.UUID | str) -> Select[StrategyRevision]:
    """A select of the saved revisions, newest first (revision 0, the empty draft, has no row)."""
    current_principal().require("read")
    company = get_company(company_id)
    return (select(StrategyRevision).where(StrategyRevision.company_id == company.id)
            .order_by(StrategyRevision.revision.desc()))


def all_revisions(company_id: uuid.UUID | str) -> list[StrategyRevision]:
    """The saved revisions, newest first."""
    return list(db.session.scalars(list_revisions(company_id)))


def get_revision(company_id: uuid.UUID | str, revision: int) -> dict[str, Any]:
    """The whole strategy as it was at a revision: its fields plus revision, updated_at, updated_by."""
    current_principal().require("read")
    company = get_company(company_id)
    if revision == 0:
        strategy = get_strategy(company.id)
        return {**copy.deepcopy(DEFAULTS), "revision": 0, "updated_at": None, "updated_by": None,
                "company_id": strategy.company_id}
    row = db.session.scalars(select(StrategyRevision).where(
        StrategyRevision.company_id == company.id, StrategyRevision.revision == revision)).first()
    if row is None:
        raise NotFound("No revision with this number.")
    return {**copy.deepcopy(DEFAULTS), **row.snapshot, "revision": row.revision, "updated_at": row.created_at,
            "updated_by": row.created_by, "company_id": row.company_id}


def launch_target_date(strategy: Strategy) -> dt.date | None:
    """The launch plan's target date as a date (stored as ISO text in JSON)."""
    value = (strategy.launch_plan or {}).get("target_date")
    return dt.date.fromisoformat(value) if value else None
