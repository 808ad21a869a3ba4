"""Channels: a company's presences on social platforms."""
from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from ..api.channels.schemas import ChannelCreateSchema, ChannelUpdateSchema
from ..services import channels as svc
from ..services.errors import ServiceError
from ..services.strategy import get_strategy
from .blueprint import bp
from .forms import FormErrors, FormInvalid, api_load, from_service_error, int_or_none, text


def channel_form(form, *, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {name: text(form, name) for name in ("platform", "name", "handle", "url", "purpose")}
    if creating:
        data["key"] = text(form, "key")
        if not data["name"]:
            data.pop("name")  # the service names it after its key
    target = text(form, "followers_target").replace(" ", "").replace(",", ".")
    data["followers_target"] = target or None
    data["active"] = form.get("active") == "on" if not creating else True
    return data


def _render(channel=None, form=None, errors=None, status=200):
    company = g.path_objects["company_id"]
    channels = svc.all_channels(company.id)
    counts = {c.key: svc.metric_point_count(c) for c in channels}
    # Onboarding: channels come before the strategy, which then names them (see create_company).
    strategy_active = get_strategy(company.id).status == "active"
    return render_template("admin/channels.html", company=company, channels=channels, counts=counts, channel=channel,
                           strategy_active=strategy_active,
                           form=form or {}, errors=errors or FormErrors(), platforms=svc.PLATFORMS,
                           section="companies", tab="channels"), status


@bp.get("/companies/<uuid:company_id>/channels")
def channels(company_id):
    """The company's channels, and a form to add one."""
    return _render()


@bp.post("/companies/<uuid:company_id>/channels")
def create_channel(company_id):
    form = channel_form(request.form, creating=True)
    try:
        channel = svc.create_channel(company_id, api_load(ChannelCreateSchema(), form))
    except FormInvalid as err:
        return _render(None, form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(None, form, bad.errors, bad.status)
    flash(f"Added the channel '{channel.key}'. Pushers send its metrics with \"channel\": \"{channel.key}\".")
    return redirect(url_for("admin.channels", company_id=company_id))


@bp.get("/companies/<uuid:company_id>/channels/<channel_key>")
def edit_channel(company_id, channel_key):
    """Edit one channel (its key is fixed)."""
    return _render(g.path_objects["channel_key"])


@bp.post("/companies/<uuid:company_id>/channels/<channel_key>")
def update_channel(company_id, channel_key):
    channel = g.path_objects["channel_key"]
    form = channel_form(request.form, creating=False)
    try:
        svc.update_channel(company_id, channel_key, api_load(ChannelUpdateSchema(), form),
                           expected_version=int_or_none(request.form, "version"))
    except FormInvalid as err:
        return _render(channel, form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(channel, None if bad.errors.stale else form, bad.errors, bad.status)
    flash(f"Saved the channel '{channel_key}'.")
    return redirect(url_for("admin.channels", company_id=company_id))


@bp.post("/companies/<uuid:company_id>/channels/<channel_key>/delete")
def delete_channel(company_id, channel_key):
    channel = g.path_objects["channel_key"]
    force = request.form.get("force") == "on"
    try:
        points = svc.delete_channel(company_id, channel_key, force=force,
                                    expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        if err.errors and not bad.errors.get("form"):
            bad.errors["form"] = err.detail + " " + " ".join(e["message"] for e in err.errors)
        return _render(channel, None, bad.errors, bad.status)
    flash(f"Deleted the channel '{channel_key}'" + (f" and its {points} metric values." if points else "."))
    return redirect(url_for("admin.channels", company_id=company_id))
