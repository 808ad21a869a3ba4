"""Share links of a company: the list with views, a form to make one (a report, or the board for a
range) that shows the new link once, and revoking."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from ..api.share_links.schemas import ShareLinkCreateSchema
from ..models import utcnow
from ..services import share_links as svc
from ..services.errors import ServiceError
from .blueprint import bp, needs
from .forms import FormErrors, FormInvalid, api_load, from_service_error, text


def link_form(form) -> dict:
    kind = text(form, "kind") or "report"
    out = {"kind": kind, "expires_in_days": text(form, "expires_in_days"), "label": text(form, "label")}
    if kind == "report":
        out["report_id"] = text(form, "report_id")
    else:
        out |= {"board_from": text(form, "board_from"), "board_to": text(form, "board_to")}
    pin = form.get("pin") or ""
    if pin:
        out["pin"] = pin
    return out


def _render(form=None, errors=None, status=200, new_link=None, url=None):
    company = g.path_objects["company_id"]
    reports = svc.shareable_reports(company.id)
    shown = dict(form or {"kind": "report", "expires_in_days": svc.DEFAULT_EXPIRY_DAYS})
    shown.pop("pin", None)  # never echoed back
    return render_template("admin/share_links.html", company=company, links=svc.list_share_links(company.id),
                           reports=reports, report_names={r.id: _report_name(r) for r in reports},
                           form=shown, errors=errors or FormErrors(), new_link=new_link, url=url, now=utcnow(),
                           max_days=svc.MAX_EXPIRY_DAYS, section="companies", tab="share"), status


def _report_name(report) -> str:
    from ..read_models.report_text import date_range

    return f"{date_range(report.period_start, report.period_end)} ({report.status})"


@bp.get("/companies/<uuid:company_id>/share-links")
def share_links(company_id):
    """The company's share links, and a form to make one."""
    return _render()


@bp.post("/companies/<uuid:company_id>/share-links")
@needs("write", svc.MANAGERS_ONLY)
def create_share_link(company_id):
    """Make a link; the link itself is shown in this response only."""
    form = link_form(request.form)
    try:
        link, token = svc.create_share_link(company_id, **api_load(ShareLinkCreateSchema(), form))
    except FormInvalid as err:
        return _render(form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(form, bad.errors, bad.status)
    return _render(new_link=link, url=request.url_root.rstrip("/") + svc.share_path(token), status=201)


@bp.post("/companies/<uuid:company_id>/share-links/<uuid:link_id>/revoke")
@needs("write", svc.MANAGERS_ONLY)
def revoke_share_link(company_id, link_id):
    svc.revoke_share_link(company_id, link_id)
    flash("Revoked the share link: it now answers “This link does not work”.")
    return redirect(url_for("admin.share_links", company_id=company_id))
