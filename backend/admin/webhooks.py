"""Webhooks of the agency (owners and admins): the endpoints with their events and state, a form to
add one (its secret shown once), editing, rotating the secret (the new one shown once), disabling
and enabling, removing, and each endpoint's delivery log with a Resend button."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..extensions import db
from ..services import webhooks as svc
from ..services.companies import all_companies
from ..services.errors import ServiceError
from .blueprint import bp, needs
from .forms import FormErrors, from_service_error, text

LOG_SIZE = 50


def _form(form) -> dict:
    return {"url": text(form, "url"), "events": form.getlist("events"), "description": text(form, "description"),
            "company_id": text(form, "company_id") or None}


def _companies() -> list[tuple[str, str]]:
    return [("", "Every company")] + [(str(c.id), c.name) for c in all_companies()]


def _render_list(form=None, errors=None, status=200, created=None, secret=None):
    return render_template("admin/webhooks.html", endpoints=svc.list_endpoints(), companies=_companies(),
                           events=svc.EVENTS, form=form or {"events": list(svc.EVENTS)}, errors=errors or FormErrors(),
                           created=created, secret=secret, section="webhooks"), status


def _render_one(endpoint_id, form=None, errors=None, status=200, secret=None):
    endpoint = svc.get_endpoint(endpoint_id)
    deliveries = list(db.session.scalars(svc.deliveries_select(endpoint.id).limit(LOG_SIZE)))
    shown = form or {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description,
                     "company_id": str(endpoint.company_id) if endpoint.company_id else None}
    return render_template("admin/webhook.html", endpoint=endpoint, deliveries=deliveries, companies=_companies(),
                           events=svc.EVENTS, form=shown, errors=errors or FormErrors(), secret=secret,
                           section="webhooks"), status


@bp.get("/webhooks")
@needs("admin", svc.MANAGERS_ONLY)
def webhooks():
    """The agency's webhook endpoints, and a form to add one."""
    return _render_list()


@bp.post("/webhooks")
@needs("admin", svc.MANAGERS_ONLY)
def create_webhook():
    form = _form(request.form)
    try:
        endpoint, secret = svc.create_endpoint(form)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_list(form, bad.errors, bad.status)
    return _render_list(created=endpoint, secret=secret, status=201)


@bp.get("/webhooks/<uuid:webhook_id>")
@needs("admin", svc.MANAGERS_ONLY)
def webhook(webhook_id):
    """One endpoint: its settings and its delivery log."""
    return _render_one(webhook_id)


@bp.post("/webhooks/<uuid:webhook_id>")
@needs("admin", svc.MANAGERS_ONLY)
def update_webhook(webhook_id):
    form = _form(request.form)
    try:
        svc.update_endpoint(webhook_id, form)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_one(webhook_id, form, bad.errors, bad.status)
    flash("Saved the webhook.")
    return redirect(url_for("admin.webhook", webhook_id=webhook_id))


@bp.post("/webhooks/<uuid:webhook_id>/rotate")
@needs("admin", svc.MANAGERS_ONLY)
def rotate_webhook_secret(webhook_id):
    _endpoint, secret = svc.rotate_secret(webhook_id)
    return _render_one(webhook_id, secret=secret)


@bp.post("/webhooks/<uuid:webhook_id>/enable")
@needs("admin", svc.MANAGERS_ONLY)
def enable_webhook(webhook_id):
    svc.update_endpoint(webhook_id, {"active": True})
    flash("Enabled the webhook: new events are sent to it again. Resend what it missed from its log.")
    return redirect(url_for("admin.webhook", webhook_id=webhook_id))


@bp.post("/webhooks/<uuid:webhook_id>/disable")
@needs("admin", svc.MANAGERS_ONLY)
def disable_webhook(webhook_id):
    svc.update_endpoint(webhook_id, {"active": False})
    flash("Disabled the webhook: no events are sent to it until you enable it.")
    return redirect(url_for("admin.webhook", webhook_id=webhook_id))


@bp.post("/webhooks/<uuid:webhook_id>/delete")
@needs("admin", svc.MANAGERS_ONLY)
def delete_webhook(webhook_id):
    svc.delete_endpoint(webhook_id)
    flash("Removed the webhook and its delivery log.")
    return redirect(url_for("admin.webhooks"))


@bp.post("/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/resend")
@needs("admin", svc.MANAGERS_ONLY)
def resend_webhook_delivery(webhook_id, delivery_id):
    try:
        delivery = svc.resend(webhook_id, delivery_id)
    except ServiceError as err:
        from_service_error(err)
        flash(err.detail)
        return redirect(url_for("admin.webhook", webhook_id=webhook_id))
    flash(f"Resent {delivery.event} ({delivery.message_id}): {delivery.status}.")
    return redirect(url_for("admin.webhook", webhook_id=webhook_id))
