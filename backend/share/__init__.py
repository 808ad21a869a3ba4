"""The public share page ``/s/<token>``: exactly one report, or one company's board for a fixed
range, for whoever holds the link (backend/services/share_links.py makes and finds the links).

- It acts as the link's own principal (read-only, the link's agency, the link's company only), never
  as the visitor: the visitor's session is not even read (backend/auth/principal.py skips this
  endpoint), so no answer here sets a cookie, and a logged-in visitor sees what the recipient sees.
- Unknown, expired and revoked links get the same friendly 404 page.
- A PIN is asked for first; wrong PINs get the same answer every time and count against
  ``SHARE_PIN_RATE_LIMIT`` per link in the limiter's storage (Redis in production, so the count
  holds across workers), then 429. The form is exempt from CSRF: there is no session to protect and
  nothing to change but the counters.
- Headers: ``X-Robots-Tag: noindex`` (and the robots meta tag), ``Referrer-Policy: no-referrer``
  (backend/headers.py), ``Cache-Control: private, no-store`` like every page, and a
  Content-Security-Policy that allows the app's own scripts and no connection at all.
- The page links nowhere in the app: only its own static assets (CSS, the Plotly build and the
  script that draws the charts from JSON data blocks, backend/reporting/charts.py).
"""
from __future__ import annotations

import base64
import hashlib

from flask import Blueprint, Response, current_app, g, make_response, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from ..extensions import db, limiter
from ..models import Report, ShareLink
from ..services import share_links as svc
from ..services.errors import NotFound
from ..tenancy import acting_as

bp = Blueprint("share", __name__)

ENDPOINT = "share.page"
ROBOTS = "noindex, nofollow, noarchive"
# No connection, no frame, no plugin; scripts and styles from the app only (Plotly sets inline styles).
SHARE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
             "font-src 'self' data:; connect-src 'none'; form-action 'self'; base-uri 'none'; "
             "frame-ancestors 'none'; object-src 'none'")


def _pin_limit() -> str:
    return current_app.config["SHARE_PIN_RATE_LIMIT"]


def _pin_key() -> str:
    """Per link (the token's digest; the limiter's storage never holds a token)."""
    token = (request.view_args or {}).get("token", "")
    return "share-pin:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _wrong_pin(response: Response) -> bool:
    return bool(g.get("share_wrong_pin"))


@bp.after_request
def _share_headers(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = ROBOTS
    response.headers["Content-Security-Policy"] = SHARE_CSP
    return response


@bp.errorhandler(TooManyRequests)
def _too_many(err: TooManyRequests):
    headers = dict(err.get_headers())
    headers.pop("Content-Type", None)
    return render_template("share/limited.html", robots=ROBOTS), 429, headers


def _missing():
    return render_template("share/missing.html", robots=ROBOTS), 404


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(_pin_limit, methods=["POST"], key_func=_pin_key, scope="share-pin", deduct_when=_wrong_pin)
def page(token: str):
    """Show the link's report or board (after its PIN, when it has one)."""
    link = svc.resolve(token)
    if link is None:
        return _missing()
    if link.pin_hash:
        if request.method != "POST":
            return render_template("share/pin.html", robots=ROBOTS, wrong=False)
        if not svc.pin_matches(link, request.form.get("pin", "")):
            g.share_wrong_pin = True
            svc.record_wrong_pin(link)
            return render_template("share/pin.html", robots=ROBOTS, wrong=True), 403
    try:
        with acting_as(svc.share_principal(link)):
            body = _render(link)
    except NotFound:
        db.session.rollback()
        return _missing()
    if request.method != "HEAD":  # a link checker's HEAD is not a view
        svc.record_view(link)
    return make_response(body)


def _render(link: ShareLink) -> str:
    from ..read_models.branding import agency_branding

    branding = agency_branding()
    if link.kind == "report":
        from ..reporting import render_report_html

        report = db.session.scalars(select(Report).where(Report.company_id == link.company_id,
                                                          Report.id == link.report_id)).first()
        if report is None:
            raise NotFound("The report is gone.")
        return render_template("share/report.html", robots=ROBOTS, branding=branding,
                               content=Markup(render_report_html(report, mode="share")))  # an escaped template
    from ..reporting.charts import chart_block, chart_scripts
    from .board import board

    assert link.board_from is not None and link.board_to is not None  # a board link has its range
    view = board(link.company_id, link.board_from, link.board_to)
    return render_template("share/board.html", robots=ROBOTS, branding=branding, board=view,
                           logo_data_uri=_logo_data_uri(branding), chart_block=chart_block,
                           chart_scripts=chart_scripts, report_css=url_for("static", filename="report.css"))


def _logo_data_uri(branding) -> str:
    """The agency's logo inline: the page requests nothing of the app but static files."""
    if branding is None or not branding.logo_sha256:
        return ""
    from ..services.branding import logo

    content, mime, _ = logo()
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"
