"""Campaigns: time-boxed pushes on some channels; the dashboard draws them, budgets feed ROI."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Campaign
from ..tenancy import current_principal
from . import audit
from .channels import channel_keys
from .companies import get_company
from .errors import NotFound
from .validation import Problems, check_version

FIELDS = ("name", "start_date", "end_date", "channels", "budget", "notes")


def list_campaigns(company_id: uuid.UUID | str, *, date_from: dt.date | None = None, date_to: dt.date | None = None
                   ) -> Select[Campaign]:
    """A select of the company's campaigns, latest start first; with dates, those overlapping them."""
    current_principal().require("read")
    company = get_company(company_id)
    stmt = (select(Campaign).where(Campaign.company_id == company.id)
            .order_by(Campaign.start_date.desc(), Campaign.name, Campaign.id))
    if date_from is not None:
        stmt = stmt.where(Campaign.end_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(Campaign.start_date <= date_to)
    return stmt


def all_campaigns(company_id: uuid.UUID | str, *, date_from: dt.date | None = None, date_to: dt.date | None = None
                  ) -> list[Campaign]:
    """The campaigns :func:`list_campaigns` selects."""
    return list(db.session.scalars(list_campaigns(company_id, date_from=date_from, date_to=date_to)))


def get_campaign(company_id: uuid.UUID | str, campaign_id: uuid.UUID | str) -> Campaign:
    current_principal().require("read")
    company = get_company(company_id)
    try:
        cid = campaign_id if isinstance(campaign_id, uuid.UUID) else uuid.UUID(str(campaign_id))
    except ValueError:
        raise NotFound("No campaign with this id.") from None
    campaign = db.session.scalars(
        select(Campaign).where(Campaign.company_id == company.id, Campaign.id == cid)).first()
    if campaign is None:
        raise NotFound("No campaign with this id.")
    return campaign


def campaign_fields(campaign: Campaign) -> dict[str, Any]:
    return {name: getattr(campaign, name) for name in FIELDS}


def _validate(company_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    problems = Problems()
    for name in sorted(set(data) - set(FIELDS)):
        problems.add(name, "Unknown field.")
    out: dict[str, Any] = {}
    out["name"] = problems.text("name", data.get("name"), limit=200, required=True)
    out["start_date"] = problems.date("start_date", data.get("start_date"))
    out["end_date"] = problems.date("end_date", data.get("end_date"))
    if out["start_date"] and out["end_date"] and out["end_date"] < out["start_date"]:
        problems.add("end_date", "The end date is before the start date.")
    channels = data.get("channels") or []
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        problems.add("channels", "Must be a list of channel keys.")
        channels = []
    known = channel_keys(company_id)
    for i, key in enumerate(channels):
        if key not in known:
            problems.add(f"channels.{i}", f"The company has no channel '{key}'.")
    out["channels"] = list(dict.fromkeys(channels))
    out["budget"] = problems.number("budget", data.get("budget"), required=False, minimum=0)
    out["notes"] = problems.text("notes", data.get("notes"))
    problems.raise_if_any()
    return out


def create_campaign(company_id: uuid.UUID | str, data: dict[str, Any]) -> Campaign:
    current_principal().require("write")
    company = get_company(company_id)
    clean = _validate(company.id, data)
    campaign = Campaign(company_id=company.id, agency_id=company.agency_id, **clean)
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.create", campaign, summary=f"Added campaign '{campaign.name}'")
    db.session.commit()
    return campaign


def update_campaign(company_id: uuid.UUID | str, campaign_id: uuid.UUID | str, data: dict[str, Any], *,
                    expected_version: int | None = None) -> Campaign:
    """Change some fields; the result is checked as a whole (end date after start date ...)."""
    current_principal().require("write")
    campaign = get_campaign(company_id, campaign_id)
    check_version(campaign, expected_version, "campaign")
    clean = _validate(campaign.company_id, {**campaign_fields(campaign), **data})
    changed = [k for k, v in clean.items() if getattr(campaign, k) != v]
    for k in changed:
        setattr(campaign, k, clean[k])
    if changed:
        campaign.version += 1
        audit.record("campaign.update", campaign, summary=f"Changed {', '.join(changed)} of campaign '{campaign.name}'")
    db.session.commit()
    return campaign


def delete_campaign(company_id: uuid.UUID | str, campaign_id: uuid.UUID | str, *,
                    expected_version: int | None = None) -> None:
    current_principal().require("write")
    campaign = get_campaign(company_id, campaign_id)
    check_version(campaign, expected_version, "campaign")
    audit.record("campaign.delete", campaign, summary=f"Deleted campaign '{campaign.name}'")
    db.session.delete(campaign)
    db.session.commit()
