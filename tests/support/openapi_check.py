"""Every answer of the API held to the OpenAPI document: the test client's response hook.

``ResponseChecker(spec).problems(method, path, response)`` lists what an answer to a request
under /api/v1 does differently from what the document promises for its operation:

- the status is listed for the operation (``default`` covers 5xx only: every 4xx the server can
  answer is listed by its number);
- the Content-Type is one the response documents; a response without content (204) has no body
  and no Content-Type;
- a JSON body validates against the response's schema (formats checked: uuid, date, date-time);
- every header the response documents as required is there, every documented header's value
  matches its schema (``X-Pagination`` is JSON, validated as such), and no header is sent that
  the response does not document, apart from the generic ones every page carries (GENERIC).

Requests to no operation (a path or method the API does not have, the document itself, the docs
UI) are not API answers; only their errors are held to the problem schema.

tests/conftest.py installs it on every test client made by ``make_app`` (the ``app``,
``client``, ``api`` and ``login_as`` fixtures and every app a test builds): an undocumented
answer fails the test that received it, naming what differs.
"""
from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs

METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM = "application/problem+json"
# Headers of the HTTP exchange or of every page (backend/headers.py), not of an operation.
GENERIC = {
    "content-type", "content-length", "content-encoding", "accept-ranges", "date", "server", "connection", "vary",
    "set-cookie", "cache-control",
    "content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy",
    "cross-origin-opener-policy", "permissions-policy", "strict-transport-security",
}
NOT_OPERATIONS = ("/api/v1/openapi.json", "/api/v1/docs")


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema (``type: [..., "null"]``)."""
    if isinstance(node, list):
        return [json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        if "type" in node:
            out["type"] = [node["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _body(response) -> bytes:
    """The body as sent before compression (backend/compression.py: br or gzip)."""
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(data)
    return data


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


class ResponseChecker:
    def __init__(self, spec: dict):
        self.spec = spec
        self.components = json_schema(spec.get("components", {}))
        self.routes: list[tuple[re.Pattern, dict]] = []
        for path, item in spec["paths"].items():
            pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path))
            self.routes.append((re.compile(f"^{pattern}$"), item))
        self._validators: dict[str, Any] = {}
        self.checked = 0

    # --- lookups --------------------------------------------------------------------------
    def operation(self, method: str, path: str) -> dict | None:
        for pattern, item in self.routes:
            if pattern.match(path):
                return item.get(method.lower())
        return None

    def _resolve(self, obj: dict) -> dict:
        while "$ref" in obj:
            section, name = obj["$ref"].split("/")[-2:]
            obj = self.spec["components"][section][name]
        return obj

    def _validator(self, schema: dict):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = jsonschema_rs.validator_for(
                {**json_schema(schema), "components": self.components}, validate_formats=True)
        return self._validators[key]

    def _schema_errors(self, schema: dict, value: Any) -> list[str]:
        return [f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}"
                for e in self._validator(schema).iter_errors(value)][:5]

    # --- the check ------------------------------------------------------------------------
    def problems(self, method: str, path: str, response) -> list[str]:
        if not path.startswith("/api/") or path.startswith(NOT_OPERATIONS) or method.lower() not in METHODS:
            return []  # HEAD and OPTIONS are Flask's own answers, without a body
        op = self.operation(method, path)
        if op is None:
            if response.status_code >= 400:
                if response.mimetype != PROBLEM:
                    return [f"an error outside any operation is {response.mimetype}, not {PROBLEM}"]
                return self._schema_errors({"$ref": "#/components/schemas/Problem"}, json.loads(_body(response)))
            return []
        self.checked += 1
        status = str(response.status_code)
        responses = op["responses"]
        if status in responses:
            documented = self._resolve(responses[status])
        elif response.status_code >= 500 and "default" in responses:
            documented = self._resolve(responses["default"])
        else:
            return [f"status {status} is not documented for {op['operationId']} (documented: {sorted(responses)})"]
        return self._content_problems(documented, response) + self._header_problems(documented, response)

    def _content_problems(self, documented: dict, response) -> list[str]:
        content = documented.get("content") or {}
        if not content:
            out = []
            if response.headers.get("Content-Type"):
                out.append(f"Content-Type {response.headers['Content-Type']!r} on a response without content")
            if response.get_data():
                out.append("a body on a response without content")
            return out
        mimetype = response.mimetype
        if mimetype not in content:
            return [f"Content-Type {mimetype!r} is not documented (documented: {sorted(content)})"]
        if not _is_json(mimetype):
            return []  # CSV: a string (read lazily; the export streams)
        try:
            body = json.loads(_body(response))
        except ValueError as exc:
            return [f"the body is not JSON: {exc}"]
        return [f"body {e}" for e in self._schema_errors(content[mimetype]["schema"], body)]

    def _header_problems(self, documented: dict, response) -> list[str]:
        out = []
        headers = {name.lower(): (name, self._resolve(spec))
                   for name, spec in (documented.get("headers") or {}).items()}
        for name in {h.lower() for h in response.headers.keys()}:
            if name not in headers and name not in GENERIC:
                out.append(f"header {name!r} is sent but not documented")
        for name, spec in headers.values():
            value = response.headers.get(name)
            if value is None:
                if spec.get("required"):
                    out.append(f"required header {name!r} is missing")
                continue
            if "content" in spec:
                try:
                    parsed: Any = json.loads(value)
                except ValueError:
                    out.append(f"header {name!r} is not JSON: {value!r}")
                    continue
                schema = next(iter(spec["content"].values()))["schema"]
            else:
                schema = spec.get("schema", {})
                parsed = value
                if schema.get("type") == "integer":
                    try:
                        parsed = int(value)
                    except ValueError:
                        out.append(f"header {name!r} is not an integer: {value!r}")
                        continue
            out += [f"header {name!r} {e}" for e in self._schema_errors(schema, parsed)]
        return out


_checker: ResponseChecker | None = None


def checker_for(app) -> ResponseChecker:
    """One checker per test session: every app builds the same document."""
    global _checker
    if _checker is None:
        _checker = ResponseChecker(app.extensions["reachboard_api"].spec.to_dict())
    return _checker


def answers_checked() -> int:
    return _checker.checked if _checker is not None else 0
