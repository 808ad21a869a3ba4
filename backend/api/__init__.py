"""REST API under /api/v1: one flask-smorest blueprint per resource, registered from one list."""
from __future__ import annotations

import http
import importlib
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

# Each module exposes ``blp`` (a flask_smorest.Blueprint). Add new resources here.
RESOURCE_MODULES = [
    "backend.api.me.routes",
    "backend.api.agency.routes",
    "backend.api.companies.routes",
    "backend.api.users.routes",
    "backend.api.api_keys.routes",
    "backend.api.channels.routes",
    "backend.api.metric_definitions.routes",
    "backend.api.strategy.routes",
    "backend.api.goals.routes",
    "backend.api.campaigns.routes",
    "backend.api.metrics.routes",
]


def _make_api_class():
    from .common import ERROR_DESCRIPTIONS, PROBLEM_CONTENT_TYPE, ProblemSchema

    class ReachboardApi(Api):
        """flask-smorest's Api documenting errors as they are sent: RFC 9457 problems
        (``application/problem+json``, backend/errors.py), not flask-smorest's own JSON error."""

        ERROR_SCHEMA = ProblemSchema

        def _register_responses(self):
            for status in http.HTTPStatus:
                response: dict[str, Any] = {"description": ERROR_DESCRIPTIONS.get(int(status), status.phrase)}
                if status >= 400:
                    response["schema"] = self.ERROR_SCHEMA
                    prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
                self.spec.components.response(status.name, response, lazy=True)
            response = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

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
