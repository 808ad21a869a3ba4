"""Agency admin pages under /manage: server-rendered forms that call the same services as the API.

Order of checks for every request here, mirroring the API (backend/api/access.py):

1. a logged-in user (backend/auth/principal.py redirects to /login otherwise);
2. every object named in the URL is looked up through the scoping layer, children through
   their parent — another agency's (or an unreachable company's) ids answer 404;
3. only agency staff use these pages (client viewers and API keys get 403), and each view
   declares the grant it needs with :func:`needs` (default: ``read`` for GET, ``write`` for POST);
4. CSRF is checked app-wide by Flask-WTF on every POST.
"""
from . import (  # noqa: F401  (routes)
    activity,
    agency_settings,
    alert_rules,
    branding,
    campaigns,
    channels,
    companies,
    data,
    goals,
    jobs,
    outbox,
    people,
    points,
    report_schedules,
    reports,
    share_links,
    strategy,
    webhooks,
)
from .blueprint import bp, needs

__all__ = ["bp", "needs"]
