"""The admin blueprint: its access check (see the package docstring), ``needs`` and the helpers
every admin template gets."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for

from dashboard import goal_text, theme

from ..path_objects import resolve_path_objects
from ..tenancy import Forbidden, current_principal

bp = Blueprint("admin", __name__, url_prefix="/manage")


def needs(grant: str, message: str | None = None):
    """Declare the grant a view needs (``read``, ``write``, ``metrics:write``, ``admin``)."""

    def decorate(fn):
        fn._admin_needs = (grant, message)
        return fn

    return decorate


@bp.before_request
def _check_access():
    principal = current_principal()
    resolve_path_objects(request.view_args or {})
    if principal.kind != "user" or not principal.is_staff:
        raise Forbidden("Only agency staff manage companies; your dashboard shows what you may see.")
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    grant, message = getattr(view, "_admin_needs", (None, None))
    if grant is None:
        grant = "read" if request.method in ("GET", "HEAD") else "write"
    principal.require(grant, message)
    return None


@bp.get("/")
def index():
    """The admin area starts at the company list."""
    return redirect(url_for("admin.companies"))


@bp.app_template_filter("metric_value")
def _metric_value(value: float | None, unit: str | None = None) -> str:
    """Compact, with a short unit where it reads as one with the number ('24.6 min')."""
    return goal_text.quantity(value, unit, with_unit=(unit or "") in goal_text.SHORT_UNITS)


@bp.app_template_global("timezone_options")
def _timezone_options(current: str | None = None) -> list[tuple[str, str]]:
    """(name, 'Europe/Stockholm (UTC+01:00)') for every IANA zone, UTC first, by name; a zone
    not in the list (an old stored value) stays choosable."""
    import datetime as dt
    from zoneinfo import ZoneInfo, available_timezones

    now = dt.datetime.now(dt.UTC)
    names = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    out = [("UTC", "UTC")]
    for name in names:
        offset = now.astimezone(ZoneInfo(name)).strftime("%z")
        out.append((name, f"{name.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})"))
    if current and current not in {n for n, _ in out}:
        out.insert(1, (current, current))
    return out


@bp.app_template_filter("exact")
def _exact(value: float | None, unit: str | None = None) -> str:
    return theme.exact(value, unit)


@bp.app_context_processor
def _admin_helpers():
    from ..tenancy import get_principal

    p = get_principal()
    return {
        "can_admin": bool(p and p.kind == "user" and p.can("admin")),
        "can_write": bool(p and p.kind == "user" and p.is_staff and p.can("write")),
        "is_staff": bool(p and p.kind == "user" and p.is_staff),
    }

