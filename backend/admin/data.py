"""Data connections: API keys for a company (shown once) and CSV upload of metrics."""
from __future__ import annotations

import csv
import io

from flask import current_app, flash, g, redirect, render_template, request, url_for

from ..api.api_keys.schemas import ApiKeyCreateSchema
from ..bounds import CSV_MAX_BYTES
from ..extensions import db
from ..read_models.examples import push_example
from ..services import api_keys as keys_svc
from ..services.errors import NotFound, ServiceError, ValidationFailed
from ..tenancy import SCOPES, current_principal
from .blueprint import bp, needs
from .forms import FormErrors, FormInvalid, from_service_error, load, plain_words, text

KEYS_ADMIN_ONLY = "Only agency owners and admins create or revoke API keys."
PREVIEW_ROWS = 10
MAX_ERRORS_SHOWN = 50
SCOPE_HELP = {
    "metrics:write": "push metrics for this company (what a data source needs)",
    "read": "read this company's data",
    "write": "read and change this company's strategy, goals, channels and metrics",
    "admin": "everything, including keys and people — rarely needed",
}


def _channel_keys(company) -> list[str]:
    from ..services.channels import all_channels

    return [c.key for c in all_channels(company.id)]


def _render(errors=None, form=None, status=200, new_key=None, plaintext=None, csv_result=None):
    company = g.path_objects["company_id"]
    p = current_principal()
    keys = keys_svc.all_keys(company_id=company.id) if p.can("admin") else []
    channels = _channel_keys(company)
    example = push_example(company, request.host_url, key=plaintext)
    return render_template("admin/data.html", company=company, keys=keys, errors=errors or FormErrors(),
                           form=form or {"scopes": ["metrics:write"]}, new_key=new_key, plaintext=plaintext,
                           example=example,
                           scopes=SCOPES, scope_help=SCOPE_HELP, channels=channels, csv_result=csv_result,
                           section="companies", tab="data"), status


@bp.get("/companies/<uuid:company_id>/data")
@needs("write")
def data(company_id):
    """Keys for data sources and CSV upload."""
    return _render()


@bp.post("/companies/<uuid:company_id>/data/keys")
@needs("admin", KEYS_ADMIN_ONLY)
def create_key(company_id):
    """Create a key bound to this company; the key itself is shown in this response only."""
    company = g.path_objects["company_id"]
    form = {"name": text(request.form, "name") or f"{company.name} data source",
            "scopes": request.form.getlist("scopes") or ["metrics:write"]}
    try:
        data = load(ApiKeyCreateSchema(), form)
        data["company_id"] = company.id
        key, plaintext = keys_svc.create_key(data)
    except FormInvalid as err:
        return _render(err.errors, form, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(bad.errors, form, bad.status)
    response = _render(new_key=key, plaintext=plaintext, status=201)
    return response


@bp.post("/companies/<uuid:company_id>/data/keys/<uuid:key_id>/revoke")
@needs("admin", KEYS_ADMIN_ONLY)
def revoke_key(company_id, key_id):
    company = g.path_objects["company_id"]
    key = g.path_objects["key_id"]
    if key.company_id != company.id:
        raise NotFound("No API key with this id.")
    keys_svc.revoke_key(key.id)
    flash(f"Revoked the key '{key.name}' ({key.prefix}…). Requests with it are refused from now on.")
    return redirect(url_for("admin.data", company_id=company_id))


def _preview(content: str) -> tuple[list[str], list[list[str]], int]:
    reader = csv.reader(io.StringIO(content))
    rows: list[list[str]] = []
    header: list[str] = []
    total = 0
    for i, row in enumerate(reader):
        if i == 0:
            header = row
            continue
        if not any(cell.strip() for cell in row):
            continue
        total += 1
        if len(rows) < PREVIEW_ROWS:
            rows.append(row)
    return header, rows, total


def _read_upload() -> tuple[str, str] | tuple[None, FormInvalid]:
    """The uploaded file's name and text, or the form error that says what is wrong with it."""
    upload = request.files.get("file")
    errors = FormErrors()
    if upload is None or not upload.filename:
        errors.add("file", "Choose a CSV file to upload.")
        return None, FormInvalid(errors)
    raw = upload.read(CSV_MAX_BYTES + 1)
    if len(raw) > CSV_MAX_BYTES:
        errors.add("file", f"The file is larger than {CSV_MAX_BYTES // 1_000_000} MB; split it into smaller files.")
        return None, FormInvalid(errors, 413)
    try:
        return upload.filename, raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.add("file", "The file is not UTF-8 text; save it as CSV (UTF-8) and try again.")
        return None, FormInvalid(errors)


def _run_csv(content: str, filename: str, dry_run: bool) -> tuple[dict, int]:
    """Check (``dry_run``) or import the CSV: the result for the page and its status."""
    from ..services import metrics

    company = g.path_objects["company_id"]
    header, rows, total = _preview(content)
    result = {"filename": filename, "header": header, "rows": rows, "total": total,
              "errors": [], "error_count": 0, "summary": None, "checked": dry_run}
    try:
        result["summary"] = metrics.import_csv(company.id, io.StringIO(content, newline=""), dry_run=dry_run)
    except ValidationFailed as err:
        db.session.rollback()
        problems = err.errors or [{"field": "file", "message": err.detail}]
        result["errors"] = [{**e, "message": plain_words(e.get("message", ""))} for e in problems[:MAX_ERRORS_SHOWN]]
        result["error_count"] = err.extra.get("error_count") or err.extra.get("total_errors") or len(problems)
        return result, 422
    except ServiceError as err:
        db.session.rollback()
        result["errors"] = [{"message": err.detail}]
        result["error_count"] = 1
        return result, err.status if err.status in (409, 413) else 422
    if dry_run:
        db.session.rollback()  # a check reads only; end its transaction
    return result, 200


@bp.post("/companies/<uuid:company_id>/data/csv/check")
@needs("metrics:write")
def check_csv(company_id):
    """The preview step (the page's script sends the chosen file here before the import): every
    row checked, what the import would add, replace or leave unchanged — an HTML fragment, nothing
    stored."""
    filename, content = _read_upload()
    if filename is None:
        assert isinstance(content, FormInvalid)
        return render_template("admin/_csv_result.html", file_error=content.errors.get("file")), content.status
    assert isinstance(content, str)
    result, status = _run_csv(content, filename, dry_run=True)
    return render_template("admin/_csv_result.html", csv_result=result, file_error=None), status


@bp.post("/companies/<uuid:company_id>/data/csv")
@needs("metrics:write")
def upload_csv(company_id):
    """Import a CSV of metrics (long or wide form): all rows or none, errors by row number."""
    company = g.path_objects["company_id"]
    filename, content = _read_upload()
    if filename is None:
        assert isinstance(content, FormInvalid)
        return _render(content.errors, status=content.status)
    assert isinstance(content, str)
    result, status = _run_csv(content, filename, dry_run=False)
    if status == 200:
        current_app.logger.info("CSV import into %s: %s", company.id, result["summary"])
    return _render(csv_result=result, status=status)
