"""Form plumbing: load browser forms with the API's own schemas and map errors to fields.

The API's marshmallow schemas and the services are the one copy of the rules; these pages only
translate ``request.form`` into the API's JSON shape and the errors back to form fields. Form
inputs are named after the API's field paths (``name``, ``kpi.target``, ``launch_plan.target_date``),
so an error's ``field`` is also the input it belongs to.
"""
from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError

from ..errors import _flatten_messages
from ..extensions import db
from ..i18n import Message, translate
from ..services.errors import ServiceError, StaleObject

# The API's (marshmallow's) wording, said as a form says it to a person. The API keeps its own.
PLAIN_WORDS = {
    "Missing data for required field.": "Fill this in.",
    "Field may not be null.": "Fill this in.",
    "Shorter than minimum length 1.": "Fill this in.",
    "Not a valid number.": "Enter a number, such as 1200 or 12.5.",
    "Not a valid integer.": "Enter a whole number, such as 1200.",
    "Not a valid date.": "Enter a date as year-month-day, such as 2026-03-31.",
    "Not a valid datetime.": "Enter a date as year-month-day, such as 2026-03-31.",
    "Not a valid string.": "Enter text here.",
    "Not a valid boolean.": "Choose yes or no.",
    "Not a valid list.": "Choose one or more of the options.",
    "Not a valid UUID.": "Choose one of the options.",
    "Not a valid email address.": "Enter an e-mail address, such as name@example.com.",
    "Not a valid URL.": "Enter a web address starting with https://",
    "Unknown field.": "This is not part of the form.",
}
_ONE_OF = re.compile(r"^Must be one of: (.+)\.$")
_LONGER = re.compile(r"^Longer than maximum length (\d+)\.$")
# "start_date: must be …" or "kpi.target: …" — a field path in front of a message.
_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*): (.+)$")


# Field names the services put inside a message ("Must be on or before end_date.").
_NAMED_FIELD = re.compile(r"(?<![\w'`])(start_date|end_date|target_date)(?![\w'`])")
_FIELD_NAMES = {"start_date": "the start date", "end_date": "the end date", "target_date": "the target date"}


def field_words(path: str) -> str:
    """'start_date' → 'Start date', 'kpi.target' → 'Target', 'audiences.0.name' → 'Name'."""
    last = [part for part in path.split(".") if not part.isdigit()][-1]
    return last.replace("_", " ").capitalize()


def plain_words(message: str, under_field: bool = True) -> str:
    """A validation message in words a non-developer understands. Under its field a path in front
    ('start_date: …') is dropped; for the whole form ('a: …; b: …') each path becomes words."""
    message = message.strip()
    parts = message.split("; ")
    if len(parts) > 1 and all(_FIELD_PREFIX.match(p) for p in parts):
        return " ".join(f"{field_words(m.group(1))}: {plain_words(m.group(2))}"
                        for m in (_FIELD_PREFIX.match(p) for p in parts) if m)
    prefixed = _FIELD_PREFIX.match(message)
    if prefixed:
        inner = plain_words(prefixed.group(2)[:1].upper() + prefixed.group(2)[1:])
        return inner if under_field else f"{field_words(prefixed.group(1))}: {inner}"
    if message in PLAIN_WORDS:
        return PLAIN_WORDS[message]
    message = _NAMED_FIELD.sub(lambda m: _FIELD_NAMES[m.group(1)], message)
    one_of = _ONE_OF.match(message)
    if one_of:
        return f"Choose one of: {one_of.group(1)}."
    longer = _LONGER.match(message)
    if longer:
        return f"Use at most {int(longer.group(1)):,} characters."
    return message


class FormErrors(dict):
    """field name -> message (in plain words, see :func:`plain_words`); ``form`` holds a message
    for the whole form."""

    @property
    def stale(self) -> bool:
        return bool(self.get("_stale"))

    def add(self, field: str | None, message: str) -> None:
        key = field or "form"
        if isinstance(message, Message):  # a service's message that is in the catalog: the reader's words
            message = translate(message)
        else:
            message = plain_words(message, under_field=key not in ("form", "body", "_schema", "id"))
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
