"""REST API under /api/v1: one flask-smorest blueprint per resource, registered from one list."""
from __future__ import annotations

import copy
import http
import importlib
import json
from typing import Any

from apispec import APISpec
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

# Each module exposes ``blp`` (a flask_smorest.Blueprint). Add new resources here.
RESOURCE_MODULES = [
    "backend.api.me.routes",
    "backend.api.agency.routes",
    "backend.api.branding.routes",
    "backend.api.companies.routes",
    "backend.api.users.routes",
    "backend.api.api_keys.routes",
    "backend.api.channels.routes",
    "backend.api.metric_definitions.routes",
    "backend.api.strategy.routes",
    "backend.api.goals.routes",
    "backend.api.campaigns.routes",
    "backend.api.metrics.routes",
    "backend.api.mentions.routes",
    "backend.api.reports.routes",
    "backend.api.report_schedules.routes",
    "backend.api.share_links.routes",
    "backend.api.alert_rules.routes",
    "backend.api.alerts.routes",
    "backend.api.webhooks.routes",
    "backend.api.topics.routes",
]


class ReachboardSpec(APISpec):
    """The document as served: request bodies written out in full where they are taken.

    Request schemas are inlined into their operation (``requestBody``), nested ones included,
    instead of being shared components: openapi-typescript makes every property with a
    ``default`` required unless it sits under a ``requestBody``, so a shared ``CompanyCreate``
    would demand ``industry``, ``timezone`` and ``archived`` that the server defaults. Their
    generated names follow the operation (openapi-python-client: ``CreateCompanyBody``).
    ``components/schemas`` keeps what the server sends (and the problem)."""

    def to_dict(self) -> dict[str, Any]:
        return inline_request_bodies(super().to_dict())


def inline_request_bodies(doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc.get("components", {}).get("schemas", {})
    inlined: set[str] = set()

    def expand(node: Any) -> Any:
        if isinstance(node, list):
            return [expand(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            inlined.add(name)
            return expand(copy.deepcopy(schemas[name]))
        return {key: expand(value) for key, value in node.items()}

    for item in doc.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for media in op.get("requestBody", {}).get("content", {}).values():
                if "schema" in media:
                    media["schema"] = expand(media["schema"])
    # Drop the inlined schemas that nothing else refers to any more (request schemas never are).
    kept = json.dumps({**{k: v for k, v in doc.items() if k != "components"},
                       **{k: v for k, v in doc.get("components", {}).items() if k != "schemas"},
                       "schemas": {k: v for k, v in schemas.items() if k not in inlined}})
    for name in inlined:
        if f'"#/components/schemas/{name}"' not in kept:
            del schemas[name]
    return doc


def _make_api_class():
    from .common import (
        ERROR_DESCRIPTIONS,
        HEADERS,
        PROBLEM_CONTENT_TYPE,
        ProblemSchema,
        header_ref,
        rate_limit_headers,
    )

    class ReachboardApi(Api):
        """flask-smorest's Api documenting errors as they are sent: RFC 9457 problems
        (``application/problem+json``, backend/errors.py), not flask-smorest's own JSON error;
        with the headers every answer carries (backend/api/common.py HEADERS) and the
        ``X-Pagination`` header as backend/api/pagination.py sends it."""

        ERROR_SCHEMA = ProblemSchema

        def _init_spec(self, *args, **kwargs):
            super()._init_spec(*args, **kwargs)
            self.spec.__class__ = ReachboardSpec  # flask-smorest builds a plain APISpec

        def _register_responses(self):
            from .pagination import PaginationMetadataSchema

            self.spec.components.schema("PaginationMetadata", schema=PaginationMetadataSchema)
            for name, header in HEADERS.items():
                self.spec.components.header(name, header)
            for status in http.HTTPStatus:
                response: dict[str, Any] = {"description": ERROR_DESCRIPTIONS.get(int(status), status.phrase)}
                if status >= 400:
                    response["schema"] = self.ERROR_SCHEMA
                    prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
                    if status == 401:  # answered before any rate limit counts
                        response["headers"] = {"WWW-Authenticate": header_ref("WWW-Authenticate", required=True)}
                    elif status == 429:
                        response["headers"] = {"Retry-After": header_ref("Retry-After", required=True),
                                               **rate_limit_headers(required=True)}
                    else:
                        response["headers"] = rate_limit_headers()
                self.spec.components.response(status.name, response, lazy=True)
            retry_after = {**HEADERS["Retry-After"], "required": False,
                           "description": "With 503 (the database is busy; nothing was changed): seconds to "
                                          "wait before trying again"}
            response = {"description": "Any other error", "schema": self.ERROR_SCHEMA,
                        "headers": {**rate_limit_headers(), "Retry-After": retry_after}}
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

        def _register_pagination_header(self):
            pass  # ours is HEADERS["X-Pagination"]; flask-smorest's PaginationMetadata is not what we send

    return ReachboardApi


def init_api(app: Flask) -> Api:
    """Build this app's own Api (flask-smorest keeps per-app spec state)."""
    from .common import AlwaysSentPlugin, NoAdditionalPropertiesPlugin, ProblemResponsesPlugin, ProblemSchema
    from .ratelimit import limit_blueprint

    api = _make_api_class()(app, spec_kwargs={
        "extra_plugins": [NoAdditionalPropertiesPlugin(), AlwaysSentPlugin(), ProblemResponsesPlugin()]})
    if "Problem" not in api.spec.components.schemas:
        api.spec.components.schema("Problem", schema=ProblemSchema)
    for name in RESOURCE_MODULES:
        module = importlib.import_module(name)
        limit_blueprint(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1" + (module.blp.url_prefix or ""))
    return api
