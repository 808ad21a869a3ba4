"""Every request's raw input held to the limits of backend/bounds.py before any view sees it.

- JSON (the API, Dash callbacks, anything read with ``request.get_json``) is parsed by
  :func:`guarded_loads`: nested deeper than 32 levels or an integer longer than 30 digits answer
  400 (``NaN`` and ``Infinity`` parse, and the validators refuse them as not finite, 422); a
  string with a NUL character answers 422 naming where it is.
  The app's JSON provider and the API's argument parser both parse with it, once per request.
- A NUL character in the query string or in a form field answers 422 naming the field; in the
  URL's path, 404 (no object has such a name). PostgreSQL cannot store NUL in text, and SQLite
  would store what PostgreSQL refuses: both databases now see the same refusal.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from .bounds import JSON_MAX_DEPTH, JSON_MAX_INT_DIGITS, NUL_MESSAGE, has_nul
from .services.errors import NotFound, ValidationFailed


class JsonRefused(ValueError):
    """Well-formed JSON beyond the limits (a ValueError: Flask and webargs answer 400)."""


_BIG = 10 ** JSON_MAX_INT_DIGITS  # the smallest integer with one digit too many


def _check_shape(value: Any) -> None:
    """Refuse nesting deeper than JSON_MAX_DEPTH and integers longer than JSON_MAX_INT_DIGITS.

    One pass, level by level, that descends into containers only and compares integers: a
    10,000-point push costs a few milliseconds (a walk that tracked each element's path cost a
    fifth of the push's time)."""
    level = [value] if type(value) in (dict, list) else []
    depth = 1
    while level:
        if depth > JSON_MAX_DEPTH:
            raise JsonRefused(f"The JSON is nested more than {JSON_MAX_DEPTH} levels deep.")
        below = []
        for node in level:
            for child in (node.values() if type(node) is dict else node):
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
                elif kind is int and (child >= _BIG or child <= -_BIG):
                    raise JsonRefused(f"An integer in the JSON has more than {JSON_MAX_INT_DIGITS} digits; "
                                      f"at most {JSON_MAX_INT_DIGITS} are accepted.")
        level = below
        depth += 1
    if type(value) is int and (value >= _BIG or value <= -_BIG):
        raise JsonRefused(f"An integer in the JSON has more than {JSON_MAX_INT_DIGITS} digits.")


def _path(parts: list) -> str:
    return ".".join(str(p) for p in parts) or "body"


def _refuse_nul(value: Any) -> None:
    """Raise 422 naming where a string (or a key) holds a NUL character."""
    stack: list[tuple[Any, list]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if has_nul(key):
                    raise ValidationFailed.field(_path(path + [key.replace("\x00", "\\u0000")]), NUL_MESSAGE)
                stack.append((child, path + [key]))
        elif isinstance(node, list):
            stack.extend((child, path + [i]) for i, child in enumerate(node))
        elif isinstance(node, str) and has_nul(node):
            raise ValidationFailed.field(_path(path), NUL_MESSAGE)


def guarded_loads(data: str | bytes) -> Any:
    """``json.loads`` with the limits of backend/bounds.py (see the module docstring)."""
    try:
        value = json.loads(data)
    except RecursionError:  # deeper than the interpreter's own limit (about 1,000 levels)
        raise JsonRefused(f"The JSON is nested more than {JSON_MAX_DEPTH} levels deep.") from None
    except ValueError as err:
        if "digits" in str(err):  # an integer past Python's own limit (4,300 digits)
            raise JsonRefused(f"An integer in the JSON has more than {JSON_MAX_INT_DIGITS} digits; "
                              f"at most {JSON_MAX_INT_DIGITS} are accepted.") from None
        raise
    _check_shape(value)
    # A NUL can only arrive escaped (a raw control character is not valid JSON): look for it in
    # the strings only when the escape is present at all.
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if b"\\u0000" in raw:
        _refuse_nul(value)
    return value


class GuardedJSONProvider(DefaultJSONProvider):
    """The app's JSON provider: ``request.get_json()`` (Dash callbacks included) parses with the limits."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return guarded_loads(s)


class GuardedParser(FlaskParser):
    """The API's argument parser: JSON bodies through ``request.get_json`` (parsed once, with the
    limits, and cached for the view)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        try:
            return guarded_loads(req.get_data(cache=True))
        except UnicodeDecodeError:
            abort(400, description="The JSON body is not valid UTF-8 text.")
        except JsonRefused as err:
            abort(400, description=str(err))
        except ValueError as err:  # json.JSONDecodeError
            abort(400, description=f"The body is not valid JSON: {err}.")


def _form_fields() -> dict[str, str]:
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {}
    return {k: v for k, values in request.form.lists() for v in values}


def init_input_guard(app: Flask) -> None:
    app.json_provider_class = GuardedJSONProvider
    app.json = GuardedJSONProvider(app)

    @app.before_request
    def _refuse_nul():
        if has_nul(request.path):
            raise NotFound("There is no such page or object.")
        for source, items in (("query", request.args.items(multi=True)), ("form", _form_fields().items())):
            for name, value in items:
                if has_nul(name) or has_nul(value):
                    clean = name.replace("\x00", "\\u0000")
                    where = "query parameter" if source == "query" else "form field"
                    raise ValidationFailed(f"The {where} '{clean}' contains a NUL character, which is not accepted.",
                                           errors=[{"field": clean, "message": NUL_MESSAGE}])
        return None

