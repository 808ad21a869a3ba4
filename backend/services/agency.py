"""The agency's own settings (the tenant itself: its name)."""
from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import Agency
from ..tenancy import current_principal
from . import audit, privileges
from .errors import ValidationFailed


def get_agency() -> Agency:
    """The principal's own agency; agency-level data, so agency-wide principals only."""
    p = current_principal()
    privileges.require_agency_wide(p)
    p.require("read", "Reading the agency's settings needs the read permission.")
    return db.session.get(Agency, p.agency_id)


def update_agency(data: dict[str, Any]) -> Agency:
    p = current_principal()
    privileges.require_settings_manager(p)
    agency = db.session.get(Agency, p.agency_id)
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise ValidationFailed.field("name", "An agency needs a name.")
        if name != agency.name:
            old = agency.name
            agency.name = name
            audit.record("agency.update", object_type="agency", object_id=agency.id,
                         summary=f"Renamed the agency from {old} to {name}")
    db.session.commit()
    return agency



