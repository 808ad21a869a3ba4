"""Shared API pieces: the blueprint class every resource uses, strict base schemas, bounded
input fields (dates, pages), UTC timestamps, the problem+json schema and the spec plugins that
document errors and links."""
from __future__ import annotations

import datetime as dt
import http

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import current_app, request
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..bounds import DATE_MAX, DATE_MESSAGE, DATE_MIN, PAGE_MAX, date_in_bounds
from ..inputs import GuardedParser
from ..services.errors import TooLarge

PROBLEM_CONTENT_TYPE = "application/problem+json"


def check_json_size() -> None:
    """413 when the request's JSON body is over ``MAX_JSON_BYTES`` (a bulk push's own limit, read
    before the body is parsed)."""
    limit = current_app.config["MAX_JSON_BYTES"]
    size = len(request.get_data(cache=True))
    if size > limit:
        raise TooLarge(f"The JSON body is {size} bytes; the limit is {limit} bytes (5 MiB).", limit=limit)


class Blueprint(SmorestBlueprint):
    """flask-smorest's blueprint, parsing JSON bodies once with the app's input limits; a 204
    answer goes out bare (flask-smorest would label its empty body application/json)."""

    ARGUMENTS_PARSER = GuardedParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.after_request(_no_content_is_bare)


def _no_content_is_bare(resp):
    if resp.status_code == 204:
        resp.headers.pop("Content-Type", None)
        resp.headers.pop("Content-Length", None)
    return resp


def _day_in_bounds(value) -> None:
    if not date_in_bounds(value):
        raise ValidationError(DATE_MESSAGE)


class Day(fields.Date):
    """An input date (YYYY-MM-DD) from 2000-01-01 to 2100-12-31."""

    def __init__(self, **kwargs):
        validators = kwargs.pop("validate", None)
        extra = [validators] if callable(validators) else list(validators or [])
        metadata = dict(kwargs.pop("metadata", {}) or {})
        description = metadata.get("description", "")
        metadata["description"] = (description + " " if description else "") + \
            f"From {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}."
        super().__init__(validate=[_day_in_bounds, *extra], metadata=metadata, **kwargs)


class UtcDateTime(fields.DateTime):
    """An output timestamp in RFC 3339 with its offset: ``2026-11-30T08:21:36Z``.

    The database stores naive datetimes in UTC; they are dumped as UTC (``Z``). Documented as
    ``format: date-time`` (apispec maps the parent class)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        text = value.astimezone(dt.UTC).isoformat()
        return text.removesuffix("+00:00") + "Z"


class StrictSchema(Schema):
    """Request schemas reject unknown fields (422 naming the field)."""

    class Meta:
        unknown = RAISE
        ordered = True


class OutSchema(Schema):
    """Response schemas. Every field is documented as always sent (``required``) except those
    named in ``SOMETIMES`` (by their JSON name): marshmallow leaves out a field whose attribute
    or key is missing, so a field that only some answers carry is listed there."""

    SOMETIMES: tuple[str, ...] = ()

    class Meta:
        ordered = True


class PaginationQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class NoAdditionalPropertiesPlugin(BasePlugin):
    """Marshmallow's unknown=RAISE is not emitted by apispec; say it in the spec — for input
    (StrictSchema) schemas only: output schemas may grow fields, problems carry extras."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        if schema is None:
            return None
        cls = resolve_schema_cls(schema)
        if isinstance(cls, type) and issubclass(cls, StrictSchema):
            return {"additionalProperties": False}
        # apispec says "false" for every schema whose ``unknown`` is RAISE, marshmallow's default:
        # an output schema forbids nothing (``definition`` is the dict being built).
        definition.pop("additionalProperties", None)
        return None


class AlwaysSentPlugin(BasePlugin):
    """Output (OutSchema) schemas list every field but their ``SOMETIMES`` as required."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        cls = resolve_schema_cls(schema) if schema is not None else None
        if not (isinstance(cls, type) and issubclass(cls, OutSchema)):
            return None
        instance = schema if isinstance(schema, Schema) else cls()
        names = [f.data_key or key for key, f in instance.dump_fields.items()]
        required = [n for n in names if n not in cls.SOMETIMES and n in definition.get("properties", {})]
        if required:
            definition["required"] = sorted(set(definition.get("required", [])) | set(required))
        elif "required" in definition and not definition["required"]:
            del definition["required"]
        return None


# --- problem+json (RFC 9457), as backend/errors.py problem() sends it ---------------------------
class ProblemItemSchema(OutSchema):
    SOMETIMES = ("index", "row")

    field = fields.String(required=True, metadata={"description": "The input at fault: a field name, a dotted "
                                                                  "path, a header, a query parameter or 'body'"})
    message = fields.String(required=True)
    index = fields.Integer(metadata={"description": "Metrics push: the position of the point (from 0)"})
    row = fields.Integer(metadata={"description": "CSV import: the row number (the header is row 1)"})


class ProblemSchema(OutSchema):
    """An error (RFC 9457 problem details). Further members may be added."""

    SOMETIMES = ("detail", "errors", "error_count", "limit", "rows_not_checked", "current_revision",
                 "current_version")

    type = fields.String(required=True, metadata={"description": "Always about:blank"})
    title = fields.String(required=True, metadata={"description": "The HTTP status phrase, or a short summary"})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code"})
    detail = fields.String(metadata={"description": "What went wrong, for a person"})
    errors = fields.List(fields.Nested(ProblemItemSchema), metadata={"description": "One entry per faulty input"})
    error_count = fields.Integer(metadata={"description": "All errors found, when only the first are listed"})
    limit = fields.Integer(metadata={"description": "The limit that was exceeded (413, reads over the cap)"})
    rows_not_checked = fields.Integer(metadata={"description": "CSV import: rows left unchecked after "
                                                               "the error cap"})
    current_revision = fields.Integer(metadata={"description": "409 on the strategy: its revision now"})
    current_version = fields.Integer(metadata={"description": "409 on an object changed meanwhile: its version now"})


def problem_response(description: str) -> dict:
    """A response object (OpenAPI 3) for an error answered as problem+json."""
    return {"description": description,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# Error statuses documented on operations (see ProblemResponsesPlugin), with their meaning here.
ERROR_DESCRIPTIONS = {
    400: "The body is not JSON, not UTF-8, nested too deeply or holds an integer that is too long",
    401: "No credential, or an unknown or revoked API key",
    403: "The credential may not do this",
    404: "Nothing with this id within your reach (or the path does not exist)",
    409: "Conflict with the current state",
    413: "The body is larger than the limit (5 MiB of JSON; 50 MB of CSV)",
    415: "The body's Content-Type is not the one this operation takes",
    422: "The input breaks a rule: the errors name each field",
    429: "Rate limit exceeded: see Retry-After",
}


# Response headers the API sends, documented once (components/headers) and referenced by name.
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "The requests allowed in the current window (per API key or user)",
    "RateLimit-Remaining": "The requests left in the current window",
    "RateLimit-Reset": "When the current window ends, in Unix time (seconds)",
}
HEADERS: dict[str, dict] = {
    **{name: {"description": text, "schema": {"type": "integer", "minimum": 0}}
       for name, text in RATE_LIMIT_HEADERS.items()},
    # Sent on every response that documents them: required in the component itself.
    "Retry-After": {"description": "Seconds to wait before trying again", "required": True,
                    "schema": {"type": "integer", "minimum": 0}},
    "WWW-Authenticate": {"description": "The scheme to authenticate with: Bearer", "required": True,
                         "schema": {"type": "string"}},
    "X-Pagination": {
        "description": "This page's place in the list, as JSON (next_page and previous_page only where they exist)",
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaginationMetadata"}}}},
    "Idempotent-Replayed": {
        "description": "Sent (true) when this is the stored answer to an earlier request with the same "
                       "Idempotency-Key: nothing was written this time",
        "schema": {"type": "string", "enum": ["true"]}},
    "ETag": {"description": 'The strategy\'s revision, quoted ("3"): send it back as If-Match to save',
             "required": True, "schema": {"type": "string", "pattern": r'^"\d+"$'}},
    "Content-Disposition": {"description": "attachment, with a file name", "required": True,
                            "schema": {"type": "string"}},
}


def header_ref(name: str, required: bool = False) -> dict:
    """A reference to a documented header; ``required`` where a response always sends one that
    others may leave out (a $ref takes no siblings in OpenAPI 3.0, so it is written out in full)."""
    if required and not HEADERS[name].get("required"):
        return {**HEADERS[name], "required": True}
    return {"$ref": f"#/components/headers/{name}"}


def rate_limit_headers(required: bool = False) -> dict:
    return {name: header_ref(name, required) for name in RATE_LIMIT_HEADERS}


def response_headers(status: int, **headers: bool) -> dict:
    """``@blp.doc(**response_headers(200, ETag=True))``: headers (name: required) a response sends."""
    return {"responses": {status: {"headers": {name: header_ref(name, required)
                                               for name, required in headers.items()}}}}


class ProblemResponsesPlugin(BasePlugin):
    """Every operation documents the errors it can answer, each as problem+json:

    - 401 and 429 everywhere (every route needs a credential and counts against the rate limit);
    - 403 everywhere but ``GET /me`` (grants, agency-level data, the services' own rules);
    - 404 where the path names an object;
    - 413, 415 and 422 where a body is taken, and 400 where it is JSON; 422 where query
      parameters are;
    - 409 where an ``Idempotency-Key`` is taken (the first request is still running);
    - ``default`` for anything else (a problem too: 5xx).

    And the headers every answer may carry: ``RateLimit-*`` on every response (the rate limits
    count every route), ``X-Pagination`` on the lists (operations that take ``page``),
    ``Idempotent-Replayed`` where an ``Idempotency-Key`` is taken.

    Every operation names its ``operationId`` itself (``@blp.doc(operationId="listCompanies")``:
    a stable name the generated clients and the links use); one without is an error. Any error
    response a route declares without content (``alt_response(409, description=...)``) becomes
    problem+json.
    """

    NO_FORBIDDEN = {("get", "Me")}

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        view_name = rule.endpoint.rsplit(".", 1)[-1]
        has_path_args = bool(rule.arguments)
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if not op.get("operationId"):
                raise ValueError(f"{method.upper()} {path} has no operationId: add @blp.doc(operationId=...)")
            responses = op.setdefault("responses", {})
            statuses = {401, 429}
            if (method, view_name) not in self.NO_FORBIDDEN:
                statuses.add(403)
            if has_path_args:
                statuses.add(404)
            if "requestBody" in op:
                statuses |= {413, 415, 422}
                if "application/json" in op["requestBody"].get("content", {}):
                    statuses.add(400)
            parameters = [p for p in op.get("parameters", []) if isinstance(p, dict)]
            if any(p.get("in") == "query" for p in parameters):
                statuses.add(422)
            replays = any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters)
            if replays and 409 not in responses and "409" not in responses:
                responses[409] = {"description": "A request with this Idempotency-Key is still being processed"}
            for status in sorted(statuses):
                if status not in responses and str(status) not in responses:
                    responses[status] = http.HTTPStatus(status).name
            lists = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
            for status, resp in list(responses.items()):
                code = None if str(status) == "default" else int(str(status))
                if (code is None or code >= 400) and isinstance(resp, dict) \
                        and "$ref" not in resp and "content" not in resp:
                    default = ERROR_DESCRIPTIONS.get(code, "An error") if code is not None else "An error"
                    resp = responses[status] = {**problem_response(resp.get("description") or default),
                                                **({"headers": resp["headers"]} if "headers" in resp else {})}
                if not isinstance(resp, dict) or "$ref" in resp:
                    continue  # a shared response (components/responses) documents its own headers
                headers = resp.setdefault("headers", {})
                for name, ref in rate_limit_headers().items():
                    headers.setdefault(name, ref)
                if code is not None and 200 <= code < 300:
                    if lists:
                        headers.setdefault("X-Pagination", header_ref("X-Pagination", required=True))
                    if replays:
                        headers.setdefault("Idempotent-Replayed", header_ref("Idempotent-Replayed"))


def links(status: int, *operation_ids: str, **parameters: str) -> dict:
    """``@blp.doc(**links(201, "getCompany", "updateCompany", company_id="$response.body#/id"))``:
    OpenAPI links from a response to the operations its values feed, each link named after its
    operation (schemathesis follows them in its stateful phase; so can a reader)."""
    return {"responses": {status: {"links": {
        operation_id: {"operationId": operation_id, "parameters": dict(parameters)}
        for operation_id in operation_ids}}}}
