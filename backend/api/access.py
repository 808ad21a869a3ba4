"""Order of checks for every API request, before the body is parsed:

1. the principal is bound (backend/auth/principal.py) — else 401;
2. every object named in the URL is looked up through the scoping layer, children through
   their parent — anything out of reach answers 404 (indistinguishable from missing);
3. the view's required grant (``@requires("write")``) — else 403;
4. only then the body is parsed and validated (422).

So another agency's ids always answer 404, whatever the body, and a read-only key gets 403
rather than a validation error.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request

from ..auth.principal import is_public_endpoint
from ..path_objects import PATH_RESOLVERS, REVISION_MAX, resolve_path_objects
from ..services import privileges
from ..tenancy import current_principal, get_principal

__all__ = ["REVISION_MAX", "init_access", "requires"]


def requires(grant: str | None, message: str | None = None, *, agency_wide: bool = False) -> Callable:
    """Declare the grant a view method needs (``read``, ``write``, ``metrics:write``, ``admin``);
    ``agency_wide``: agency-level objects, refused to company-restricted principals. The services
    check the same rules again (backend/services/privileges.py); this only refuses before the body
    is read."""

    def decorate(fn):
        fn._requires = (grant, message, agency_wide)
        return fn

    return decorate


def _view_method(endpoint: str | None):
    if endpoint is None:
        return None
    view = current_app.view_functions.get(endpoint)
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return getattr(cls, request.method.lower(), None)
    return view


def init_access(app: Flask) -> None:
    @app.before_request
    def _check_access():
        if not request.path.startswith("/api/") or get_principal() is None or is_public_endpoint(request.endpoint):
            return None
        args = request.view_args or {}
        unknown = [k for k in args if k not in PATH_RESOLVERS]
        if unknown:
            raise RuntimeError(f"URL parameter(s) {unknown} have no resolver in backend/path_objects.py")
        resolve_path_objects(args)
        method = _view_method(request.endpoint)
        need = getattr(method, "_requires", None)
        if need:
            grant, message, agency_wide = need
            if agency_wide:
                privileges.require_agency_wide(current_principal())
            if grant:
                current_principal().require(grant, message)
        return None
