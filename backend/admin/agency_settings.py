"""The agency's settings: its name, how many months mention texts and authors are kept, and its
default language (owners and admins; the same service and rules as ``PATCH /api/v1/agency``)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..api.agency.schemas import AgencyUpdateSchema
from ..i18n import LOCALES, _
from ..services import agency as svc
from ..services.errors import ServiceError
from ..services.privileges import SETTINGS_MANAGERS_ONLY
from ..tenancy import current_principal
from .blueprint import bp, needs
from .forms import FormErrors, FormInvalid, api_load, from_service_error, text


def _render(form=None, errors=None, status=200):
    agency = svc.own_agency(current_principal().agency_id)
    return render_template("admin/agency.html", agency=agency, form=form, errors=errors or FormErrors(),
                           months_min=svc.RETENTION_MIN, months_max=svc.RETENTION_MAX, section="agency",
                           languages=list(LOCALES.items())), status


@bp.get("/agency")
@needs("admin", SETTINGS_MANAGERS_ONLY)
def agency_settings():
    """The agency's name and its retention period for mentions."""
    return _render()


@bp.post("/agency")
@needs("admin", SETTINGS_MANAGERS_ONLY)
def update_agency_settings():
    form = {"name": text(request.form, "name"),
            "mention_retention_months": text(request.form, "mention_retention_months"),
            "default_locale": text(request.form, "default_locale")}
    months = form["mention_retention_months"]
    try:
        if not months:
            errors = FormErrors()
            errors.add("mention_retention_months", _("Fill this in."))
            raise FormInvalid(errors)
        data = api_load(AgencyUpdateSchema(), {"name": form["name"],
                                               "mention_retention_months": int(months) if months.isdigit() else months,
                                               **({"default_locale": form["default_locale"]}
                                                  if form["default_locale"] else {})})
        svc.update_agency(data)
    except FormInvalid as err:
        return _render(form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(form, bad.errors, bad.status)
    flash(_("Saved the agency's settings."))
    return redirect(url_for("admin.agency_settings"))
