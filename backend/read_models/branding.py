"""The agency's branding as every page shows it (backend/services/branding.py)."""
from __future__ import annotations

from ..services.branding import Branding, get_branding
from ..tenancy import get_principal

__all__ = ["Branding", "agency_branding"]


def agency_branding() -> Branding | None:
    """The principal's agency's branding; None when nobody is acting (a page outside a login)."""
    return get_branding() if get_principal() is not None else None
