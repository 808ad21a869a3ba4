"""The agency's own settings (the tenant itself): its name, how many months mention texts and
authors are kept (``mention_retention_months``, 1 to 120; backend/services/listening/retention.py),
and the language of its people who chose none (``default_locale``; backend/i18n.py)."""
from __future__ import annotations

import uuid
from typing import Any

from ..bounds import MENTION_RETENTION_MAX_MONTHS, MENTION_RETENTION_MIN_MONTHS
from ..extensions import db
from ..i18n import LOCALES, say
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


def default_locale_of(agency_id: object) -> str | None:
    """An agency's default language (backend/i18n.py asks while choosing a request's locale)."""
    agency = db.session.get(Agency, agency_id)
    return agency.default_locale if agency is not None else None


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
    changes = []
    name = agency.name
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise ValidationFailed.field("name", "An agency needs a name.")
    months = agency.mention_retention_months
    if "mention_retention_months" in data:
        months = retention_months(data["mention_retention_months"])
    locale = agency.default_locale
    if "default_locale" in data:
        locale = data["default_locale"]
        if not isinstance(locale, str) or locale not in LOCALES:
            raise ValidationFailed.field("default_locale", say("Choose one of %(choices)s.",
                                                               choices=", ".join(LOCALES)))
    if name != agency.name:
        changes.append(f"Renamed the agency from {agency.name} to {name}")
        agency.name = name
    if months != agency.mention_retention_months:
        changes.append(f"Mention texts and authors kept {months} months (was {agency.mention_retention_months})")
        agency.mention_retention_months = months
    if locale != agency.default_locale:
        changes.append(f"Default language {locale} (was {agency.default_locale})")
        agency.default_locale = locale
    if changes:
        audit.record("agency.update", object_type="agency", object_id=agency.id, summary="; ".join(changes))
    db.session.commit()
    return agency


RETENTION_MIN, RETENTION_MAX = MENTION_RETENTION_MIN_MONTHS, MENTION_RETENTION_MAX_MONTHS
RETENTION_MESSAGE = say("Whole months from %(min)d to %(max)d.", min=RETENTION_MIN, max=RETENTION_MAX)


def retention_months(value: object) -> int:
    """A retention period in months, checked: a whole number from 1 to 120 (text of digits, as a
    form sends it, too). :raises ValidationFailed: naming ``mention_retention_months``."""
    months = int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else value
    if not isinstance(months, int) or isinstance(months, bool) or not RETENTION_MIN <= months <= RETENTION_MAX:
        raise ValidationFailed.field("mention_retention_months", RETENTION_MESSAGE)
    return months
