"""The agency's own settings (the tenant itself: its name)."""
from __future__ import annotations

import uuid
from typing import Any

from ..extensions import db
from ..models import Agency
from ..tenancy import current_principal
from . import audit, privileges
from .errors import NotFound, ValidationFailed


def own_agency(agency_id: uuid.UUID) -> Agency:
    """The principal's agency row (deleted meanwhile by another request: 404, like any other row)."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("No agency with this id.")
    return agency


def get_agency() -> Agency:
    """The principal's own agency; agency-level data, so agency-wide principals only."""
    p = current_principal()
    privileges.require_agency_wide(p)
    p.require("read", "Reading the agency's settings needs the read permission.")
    return own_agency(p.agency_id)


def update_agency(data: dict[str, Any]) -> Agency:
    p = current_principal()
    privileges.require_settings_manager(p)
    agency = own_agency(p.agency_id)
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



