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

import uuid
from typing import Callable

from flask import Flask, current_app, g, request
from sqlalchemy import select

from ..extensions import db
from ..models import ApiKey, Campaign, Channel, Goal, StrategyRevision, User
from ..services import privileges
from ..services.errors import NotFound
from ..tenancy import current_principal, get_principal


def requires(grant: str | None, message: str | None = None, *, agency_wide: bool = False) -> Callable:
    """Declare the grant a view method needs (``read``, ``write``, ``metrics:write``, ``admin``);
    ``agency_wide``: agency-level objects, refused to company-restricted principals. The services
    check the same rules again (backend/services/privileges.py); this only refuses before the body
    is read."""

    def decorate(fn):
        fn._requires = (grant, message, agency_wide)
        return fn

    return decorate


def _one(stmt, what: str):
    obj = db.session.scalars(stmt).first()
    if obj is None:
        raise NotFound(f"No {what} with this id.")
    return obj


def _company(value, objs):
    from ..services.companies import get_company

    return get_company(value)


def _channel(value, objs):
    company = objs["company_id"]
    return _one(select(Channel).where(Channel.company_id == company.id, Channel.key == value), "channel")


def _goal(value, objs):
    company = objs["company_id"]
    return _one(select(Goal).where(Goal.company_id == company.id, Goal.id == value), "goal")


def _campaign(value, objs):
    company = objs["company_id"]
    return _one(select(Campaign).where(Campaign.company_id == company.id, Campaign.id == value), "campaign")


def _revision(value, objs):
    company = objs["company_id"]
    if value == 0:
        return None  # revision 0 is the empty draft every company starts with
    return _one(
        select(StrategyRevision).where(StrategyRevision.company_id == company.id, StrategyRevision.revision == value),
        "revision",
    )


def _user(value, objs):
    return _one(select(User).where(User.id == value), "user")


def _key(value, objs):
    return _one(select(ApiKey).where(ApiKey.id == value), "API key")


# URL parameter name -> resolver(value, resolved so far). Order matters: parents first.
PATH_RESOLVERS: dict[str, Callable] = {
    "company_id": _company,
    "channel_key": _channel,
    "goal_id": _goal,
    "campaign_id": _campaign,
    "revision": _revision,
    "user_id": _user,
    "key_id": _key,
}


def _view_method(endpoint: str | None):
    if endpoint is None:
        return None
    view = current_app.view_functions.get(endpoint)
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return getattr(cls, request.method.lower(), None)
    return view


def resolve_path_objects(args: dict) -> dict:
    """Every object named in the URL, looked up through the scoping layer in the order of
    :data:`PATH_RESOLVERS` (a child through its parent company); a junk or unreachable id raises
    :class:`NotFound`. Also stored as ``g.path_objects``. Used by the API and the admin pages."""
    resolved: dict = {}
    for name, resolver in PATH_RESOLVERS.items():
        if name in args:
            value = args[name]
            if isinstance(value, str) and name.endswith("_id"):
                try:
                    value = uuid.UUID(value)
                except ValueError:
                    raise NotFound("No object with this id.") from None
            resolved[name] = resolver(value, resolved)
    g.path_objects = resolved
    return resolved


def init_access(app: Flask) -> None:
    @app.before_request
    def _check_access():
        from ..auth.principal import is_public_endpoint

        if not request.path.startswith("/api/") or get_principal() is None or is_public_endpoint(request.endpoint):
            return None
        args = request.view_args or {}
        unknown = [k for k in args if k not in PATH_RESOLVERS]
        if unknown:
            raise RuntimeError(f"URL parameter(s) {unknown} have no resolver in backend/api/access.py")
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
