"""For client viewers with access to several companies: pick one."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from backend.i18n import _

from .common import company_url, navbar


def layout(companies) -> html.Div:
    if not companies:
        body = html.P(_("Your account has no company yet. Ask your agency to give you access."))
    else:
        body = dbc.ListGroup([
            dbc.ListGroupItem(c.name, href=company_url(c.id), external_link=True, action=True)
            for c in companies
        ], id="rb-company-chooser")
    return html.Div([navbar(), dbc.Container([html.H1(_("Choose a company"), className="h3 mb-3"), body],
                                             fluid=True, style={"maxWidth": "720px"})])
