"""The agency's branding: display name, logo, primary colour, e-mail sender name and footer line.

One service for the API, /manage and (later) reports and e-mails. Anyone of the agency reads it
(a client viewer's dashboard shows it); owners, admins and agency-wide admin keys change it
(backend/services/privileges.py). The row is made on the first change; until then the defaults
apply (the agency's own name, Reachboard's colours).

Logos are checked by their content, never by the file name or the declared type (logo_checks.py):
PNG and JPEG must open in Pillow; SVG must pass a strict allow-list (refused, not rewritten).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..extensions import db
from ..models import AgencyBranding
from ..tenancy import Forbidden, current_principal
from . import audit, privileges
from .agency import own_agency
from .errors import NotFound, ValidationFailed
from .logo_checks import LOGO_MAX_BYTES, LOGO_TYPES, LogoRefused, check_logo

__all__ = ["LOGO_MAX_BYTES", "LOGO_TYPES", "Branding", "get_branding", "logo", "set_logo", "update_branding"]

COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
TEXT_FIELDS = {"display_name": 100, "email_sender_name": 100, "footer": 200}
BRANDING_MANAGERS_ONLY = "Only agency owners and admins (or agency-wide admin keys) change the agency's branding."


@dataclass(frozen=True)
class Branding:
    """What every surface shows; ``display_name`` falls back to the agency's name."""

    display_name: str
    primary_color: str
    email_sender_name: str
    footer: str
    logo_type: str
    logo_sha256: str

    @property
    def light_color(self) -> bool:
        """The primary colour is light enough for dark text (relative luminance above 0.5)."""
        if not self.primary_color:
            return False
        r, g, b = (int(self.primary_color[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5

    @property
    def logo_url(self) -> str | None:
        """The logo's URL, fingerprinted by its content (cached privately for a year)."""
        return f"/api/v1/agency/branding/logo?v={self.logo_sha256[:16]}" if self.logo_sha256 else None


def _row() -> AgencyBranding | None:
    return db.session.scalars(select(AgencyBranding)).one_or_none()  # scoped to the principal's agency


def get_branding() -> Branding:
    """The principal's agency's branding; every principal of the agency may read it."""
    p = current_principal()
    row = _row()
    name = (row.display_name if row else "") or own_agency(p.agency_id).name
    if row is None:
        return Branding(name, "", "", "", "", "")
    return Branding(name, row.primary_color, row.email_sender_name, row.footer, row.logo_type, row.logo_sha256)


def _own_row() -> AgencyBranding:
    p = current_principal()
    privileges.require_agency_wide(p, BRANDING_MANAGERS_ONLY)
    if not p.can("admin"):
        raise Forbidden(BRANDING_MANAGERS_ONLY)
    row = _row()
    if row is None:
        row = AgencyBranding(agency_id=p.agency_id)
        db.session.add(row)
    return row


def clean_fields(data: dict[str, Any]) -> dict[str, str]:
    """Trimmed values; 422 naming the field for a bad colour or a too-long text."""
    out: dict[str, str] = {}
    for name, limit in TEXT_FIELDS.items():
        if name in data:
            value = (data[name] or "").strip()
            if len(value) > limit:
                raise ValidationFailed.field(name, f"Use at most {limit} characters.")
            out[name] = value
    if "primary_color" in data:
        color = (data["primary_color"] or "").strip()
        if color and not COLOR_RE.match(color):
            raise ValidationFailed.field("primary_color", "Give the colour as #RRGGBB, such as #1A73E8.")
        out["primary_color"] = color.upper()
    return out


def update_branding(data: dict[str, Any]) -> Branding:
    """Change the given fields (owner/admin); an empty text or colour returns to the default."""
    values = clean_fields(data)
    row = _own_row()
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    if changed:
        audit.record("agency.branding", object_type="agency", object_id=current_principal().agency_id,
                     summary="Changed the branding: " + ", ".join(k.replace("_", " ") for k in changed))
    db.session.commit()
    return get_branding()


def set_logo(content: bytes | None, filename: str = "") -> Branding:
    """Store a new logo (owner/admin) after checking its content; 422 on the ``logo`` field."""
    if not content:
        raise ValidationFailed.field("logo", "Choose a PNG, JPEG or SVG file of at most 1 MB.")
    row = _own_row()  # refuses before the file is looked at
    try:
        mime = check_logo(content)
    except LogoRefused as err:
        db.session.rollback()
        raise ValidationFailed.field("logo", str(err)) from err
    row.logo, row.logo_type = content, mime
    row.logo_sha256 = hashlib.sha256(content).hexdigest()
    audit.record("agency.logo", object_type="agency", object_id=current_principal().agency_id,
                 summary=f"Uploaded a new logo ({mime}, {len(content):,} bytes{', ' + filename if filename else ''})")
    db.session.commit()
    return get_branding()


def logo() -> tuple[bytes, str, str]:
    """The logo's bytes, type and hash; 404 when the agency has none."""
    current_principal()
    row = db.session.scalars(select(AgencyBranding).options(undefer(AgencyBranding.logo))).one_or_none()
    if row is None or not row.logo:
        raise NotFound("The agency has no logo.")
    return row.logo, row.logo_type, row.logo_sha256
