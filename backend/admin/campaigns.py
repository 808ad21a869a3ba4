"""Campaigns: time-boxed pushes on some channels, drawn on the dashboard."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from ..api.campaigns.schemas import CampaignCreateSchema, CampaignUpdateSchema
from ..services.errors import ServiceError
from .blueprint import bp
from .forms import FormErrors, FormInvalid, api_load, from_service_error, int_or_none, text


def _svc():
    from ..services import campaigns

    return campaigns


def campaign_form(form) -> dict:
    budget = text(form, "budget").replace(" ", "").replace(",", ".")
    return {"name": text(form, "name"), "start_date": text(form, "start_date"), "end_date": text(form, "end_date"),
            "channels": form.getlist("channels"), "budget": budget or None, "notes": text(form, "notes")}


def _render(campaign=None, form=None, errors=None, status=200):
    from ..services.channels import all_channels

    company = g.path_objects["company_id"]
    campaigns = _svc().all_campaigns(company.id)
    channels = all_channels(company.id)
    if form is None and campaign is not None:
        form = {"name": campaign.name, "start_date": campaign.start_date, "end_date": campaign.end_date,
                "channels": list(campaign.channels or []), "budget": campaign.budget, "notes": campaign.notes}
    return render_template("admin/campaigns.html", company=company, campaigns=campaigns, campaign=campaign,
                           channels=channels, form=form or {"channels": []}, errors=errors or FormErrors(),
                           section="companies", tab="campaigns"), status


@bp.get("/companies/<uuid:company_id>/campaigns")
def campaigns(company_id):
    """The company's campaigns, and a form to add one."""
    return _render()


@bp.post("/companies/<uuid:company_id>/campaigns")
def create_campaign(company_id):
    form = campaign_form(request.form)
    try:
        campaign = _svc().create_campaign(company_id, api_load(CampaignCreateSchema(), form))
    except FormInvalid as err:
        return _render(None, form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(None, form, bad.errors, bad.status)
    flash(f"Added the campaign '{campaign.name}'.")
    return redirect(url_for("admin.campaigns", company_id=company_id))


@bp.get("/companies/<uuid:company_id>/campaigns/<uuid:campaign_id>")
def edit_campaign(company_id, campaign_id):
    """Edit one campaign."""
    return _render(g.path_objects["campaign_id"])


@bp.post("/companies/<uuid:company_id>/campaigns/<uuid:campaign_id>")
def update_campaign(company_id, campaign_id):
    campaign = g.path_objects["campaign_id"]
    form = campaign_form(request.form)
    try:
        _svc().update_campaign(company_id, campaign_id, api_load(CampaignUpdateSchema(), form),
                               expected_version=int_or_none(request.form, "version"))
    except FormInvalid as err:
        return _render(campaign, form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(campaign, None if bad.errors.stale else form, bad.errors, bad.status)
    flash(f"Saved the campaign '{campaign.name}'.")
    return redirect(url_for("admin.campaigns", company_id=company_id))


@bp.post("/companies/<uuid:company_id>/campaigns/<uuid:campaign_id>/delete")
def delete_campaign(company_id, campaign_id):
    campaign = g.path_objects["campaign_id"]
    name = campaign.name
    try:
        _svc().delete_campaign(company_id, campaign_id, expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(campaign, None, bad.errors, bad.status)
    flash(f"Deleted the campaign '{name}'.")
    return redirect(url_for("admin.campaigns", company_id=company_id))
