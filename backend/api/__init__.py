"""REST API under /api/v1: one flask-smorest blueprint per resource, registered from one list."""
from __future__ import annotations

import importlib

from flask import Flask

from flask_smorest import Api

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


def init_api(app: Flask) -> Api:
    """Build this app's own Api (flask-smorest keeps per-app spec state)."""
    from .common import NoAdditionalPropertiesPlugin
    from .ratelimit import limit_blueprint

    api = Api(app, spec_kwargs={"extra_plugins": [NoAdditionalPropertiesPlugin()]})
    for name in RESOURCE_MODULES:
        module = importlib.import_module(name)
        limit_blueprint(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1" + (module.blp.url_prefix or ""))
    return api
