"""Branding: the agency's display name, logo, colour, sender name and footer, with a preview
(owners and admins; the same service as ``/api/v1/agency/branding``)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..api.branding.schemas import BrandingUpdateSchema
from ..services import branding as svc
from ..services.errors import ServiceError
from .blueprint import bp, needs
from .forms import FormErrors, FormInvalid, api_load, from_service_error, text

FIELDS = ("display_name", "primary_color", "email_sender_name", "footer")


def _render(form=None, errors=None, status=200):
    current = svc.get_branding()
    return render_template("admin/branding.html", branding=current, form=form, errors=errors or FormErrors(),
                           max_bytes=svc.LOGO_MAX_BYTES, section="branding"), status


@bp.get("/branding")
@needs("admin", svc.BRANDING_MANAGERS_ONLY)
def branding():
    """The branding form, the logo upload and a preview of a client's navigation bar."""
    return _render()


@bp.post("/branding")
@needs("admin", svc.BRANDING_MANAGERS_ONLY)
def update_branding():
    form = {name: text(request.form, name) for name in FIELDS}
    try:
        svc.update_branding(api_load(BrandingUpdateSchema(), form))
    except FormInvalid as err:
        return _render(form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(form, bad.errors, bad.status)
    flash("Saved the branding.")
    return redirect(url_for("admin.branding"))


@bp.post("/branding/logo")
@needs("admin", svc.BRANDING_MANAGERS_ONLY)
def upload_logo():
    upload = request.files.get("logo")
    content = upload.stream.read(svc.LOGO_MAX_BYTES + 1) if upload else b""
    try:
        svc.set_logo(content, upload.filename or "" if upload else "")
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(None, bad.errors, bad.status)
    flash("Uploaded the logo.")
    return redirect(url_for("admin.branding"))
