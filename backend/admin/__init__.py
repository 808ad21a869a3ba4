"""Agency admin pages under /manage: server-rendered forms that call the same services as the API.

Order of checks for every request here, mirroring the API (backend/api/access.py):

1. a logged-in user (backend/auth/principal.py redirects to /login otherwise);
2. every object named in the URL is looked up through the scoping layer, children through
   their parent — another agency's (or an unreachable company's) ids answer 404;
3. only agency staff use these pages (client viewers and API keys get 403), and each view
   declares the grant it needs with :func:`needs` (default: ``read`` for GET, ``write`` for POST);
4. CSRF is checked app-wide by Flask-WTF on every POST.
"""
from __future__ import annotations


from flask import Blueprint, current_app, redirect, request, url_for

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
    from ..api.access import resolve_path_objects

    principal = current_principal()
    resolve_path_objects(request.view_args or {})
    if principal.kind != "user" or not principal.is_staff:
        raise Forbidden("Only agency staff manage companies; your dashboard shows what you may see.")
    view = current_app.view_functions.get(request.endpoint)
    grant, message = getattr(view, "_admin_needs", (None, None))
    if grant is None:
        grant = "read" if request.method in ("GET", "HEAD") else "write"
    principal.require(grant, message)
    return None


@bp.get("/")
def index():
    """The admin area starts at the company list."""
    return redirect(url_for("admin.companies"))


@bp.app_context_processor
def _admin_helpers():
    from ..tenancy import get_principal

    p = get_principal()
    return {
        "can_admin": bool(p and p.kind == "user" and p.can("admin")),
        "can_write": bool(p and p.kind == "user" and p.is_staff and p.can("write")),
        "is_staff": bool(p and p.kind == "user" and p.is_staff),
    }


from . import activity, companies, data, people, strategy, goals, channels, campaigns  # noqa: E402,F401
