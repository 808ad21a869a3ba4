"""Form plumbing: load browser forms with the API's own schemas and map errors to fields.

The API's marshmallow schemas and the services are the one copy of the rules; these pages only
translate ``request.form`` into the API's JSON shape and the errors back to form fields. Form
inputs are named after the API's field paths (``name``, ``kpi.target``, ``launch_plan.target_date``),
so an error's ``field`` is also the input it belongs to.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from ..errors import _flatten_messages
from ..extensions import db
from ..services.errors import ServiceError, StaleObject


class FormErrors(dict):
    """field name -> message; ``form`` holds a message for the whole form."""

    @property
    def stale(self) -> bool:
        return bool(self.get("_stale"))

    def add(self, field: str | None, message: str) -> None:
        key = field or "form"
        if key in ("body", "_schema", "id"):
            key = "form"
        self[key] = f"{self[key]} {message}" if key in self else message
        parent, _, last = key.rpartition(".")
        if parent and last.isdigit():
            # "channels.1" (an item of a list input) is also shown under the list's own input.
            self[parent] = f"{self[parent]} {message}" if parent in self else message


class FormInvalid(Exception):
    def __init__(self, errors: FormErrors, status: int = 422):
        super().__init__("form invalid")
        self.errors = errors
        self.status = status


def load(schema: Schema, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate ``payload`` with an API schema; raise :class:`FormInvalid` with the API's messages."""
    try:
        return schema.load(payload)
    except ValidationError as err:
        errors = FormErrors()
        for e in _flatten_messages(err.messages):
            errors.add(e["field"], e["message"])
        raise FormInvalid(errors) from None


def from_service_error(err: ServiceError) -> FormInvalid:
    """Turn a domain error into form errors; roll back so nothing is half-saved."""
    db.session.rollback()
    errors = FormErrors()
    if isinstance(err, StaleObject):
        errors["_stale"] = "1"
        errors.add("form", err.detail + " Your changes were NOT saved; the form below shows the current values.")
        return FormInvalid(errors, 409)
    if err.errors:
        for e in err.errors:
            errors.add(e.get("field"), e.get("message", err.detail))
    else:
        errors.add("form", err.detail)
    return FormInvalid(errors, err.status if err.status in (409, 413, 422) else 422)


def text(form, name: str) -> str:
    return (form.get(name) or "").strip()


def optional(form, name: str) -> str | None:
    value = text(form, name)
    return value or None


def int_or_none(form, name: str) -> int | None:
    try:
        return int(form.get(name))
    except (TypeError, ValueError):
        return None


def number(form, name: str):
    """A number field as typed: a float when it parses, the raw text otherwise (the schema says why)."""
    raw = text(form, name)
    if raw == "":
        return None
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        return raw


def _prune(schema: Schema, payload: dict[str, Any]) -> dict[str, Any]:
    """Drop empty inputs of non-text fields, as if the API client had left them out.

    An empty number or date box means "not given" (the API then says what is missing), while an
    emptied text box means "clear this text".
    """
    from marshmallow import fields as mf

    out: dict[str, Any] = {}
    for name, value in payload.items():
        field = schema.fields.get(name)
        if field is None:
            out[name] = value
            continue
        if value in ("", None) and not isinstance(field, mf.String):
            continue
        if isinstance(field, mf.Nested) and isinstance(value, dict):
            value = _prune(field.schema, value)
        elif isinstance(field, mf.List) and isinstance(field.inner, mf.Nested) and isinstance(value, list):
            value = [_prune(field.inner.schema, v) if isinstance(v, dict) else v for v in value]
        out[name] = value
    return out


def api_load(schema: Schema, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate a form's payload with the API's request schema (same messages as the API)."""
    return load(schema, _prune(schema, payload))
