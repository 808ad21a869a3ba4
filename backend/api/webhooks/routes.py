"""Webhooks: the agency's endpoints, signed per the Standard Webhooks scheme, and their delivery log."""
from flask import request
from flask.views import MethodView

from ...models import WebhookEndpoint
from ...services import webhooks as svc
from ...services.errors import ValidationFailed
from ..access import requires
from ..common import Blueprint, links
from ..idempotency import HEADER
from ..pagination import paginate
from .schemas import (
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliverySchema,
    WebhookQuerySchema,
    WebhookRotateSchema,
    WebhookSchema,
    WebhookUpdateSchema,
)

blp = Blueprint("webhooks", __name__, url_prefix="/webhooks",
                description="Signed webhooks (owner/admin, admin keys): endpoints, secrets and the delivery log")

IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "The same key (from the same credential) with the same body answers the endpoint it made, with "
                   "its secret, and makes no other; with a different body, 422.",
}]}


def _out(endpoint: WebhookEndpoint, secret: str | None = None) -> dict:
    out = {name: getattr(endpoint, name) for name in (
        "id", "url", "description", "events", "company_id", "active", "disabled_reason", "failing_since",
        "previous_secret_until", "version", "created_by", "created_at", "updated_at")}
    if secret is not None:
        out["secret"] = secret
    return out


@blp.route("")
class Webhooks(MethodView):
    @blp.doc(operationId="listWebhooks")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(WebhookQuerySchema, location="query")
    @blp.response(200, WebhookSchema(many=True))
    def get(self, args):
        """List the agency's webhook endpoints (never their secrets)"""
        return [_out(e) for e in paginate(svc.endpoints_select(), args)]

    @blp.doc(operationId="createWebhook")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookCreatedSchema)
    @blp.doc(**links(201, "getWebhook", "updateWebhook", "deleteWebhook", webhook_id="$response.body#/id"))
    def post(self, data):
        """Add a webhook endpoint; its signing secret is in this answer only"""
        key = request.headers.get(HEADER)
        if key is None:
            endpoint, secret = svc.create_endpoint(data)
            return _out(endpoint, secret)
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            raise ValidationFailed.field(HEADER, "Must be 1 to 255 printable characters.")
        endpoint, secret, created = svc.create_endpoint_once(key, data)
        return _out(endpoint, secret), 201, ({} if created else {"Idempotent-Replayed": "true"})


@blp.route("/<uuid:webhook_id>")
class WebhookItem(MethodView):
    @blp.doc(operationId="getWebhook")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.response(200, WebhookSchema)
    def get(self, webhook_id):
        """Read a webhook endpoint"""
        return _out(svc.get_endpoint(webhook_id))

    @blp.doc(operationId="updateWebhook")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(WebhookUpdateSchema)
    @blp.response(200, WebhookSchema)
    @blp.alt_response(409, description="The endpoint was changed meanwhile (a stale version); nothing was saved")
    def patch(self, data, webhook_id):
        """Change a webhook endpoint's address, events or company, or disable or enable it"""
        return _out(svc.update_endpoint(webhook_id, data))

    @blp.doc(operationId="deleteWebhook")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.response(204)
    def delete(self, webhook_id):
        """Remove a webhook endpoint and its delivery log"""
        svc.delete_endpoint(webhook_id)


@blp.route("/<uuid:webhook_id>/rotate-secret")
class WebhookRotation(MethodView):
    @blp.doc(operationId="rotateWebhookSecret")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(WebhookRotateSchema)
    @blp.response(200, WebhookCreatedSchema)
    def post(self, data, webhook_id):
        """Give the endpoint a new secret (in this answer only); the old one signs too for the overlap"""
        endpoint, secret = svc.rotate_secret(webhook_id, data.get("overlap_hours"))
        return _out(endpoint, secret)


@blp.route("/<uuid:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.doc(operationId="listWebhookDeliveries")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(WebhookQuerySchema, location="query")
    @blp.response(200, WebhookDeliverySchema(many=True))
    def get(self, args, webhook_id):
        """The endpoint's delivery log, newest first: status, latency and the first 1 KB of the answer"""
        return paginate(svc.deliveries_select(webhook_id), args)


@blp.route("/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/resend")
class WebhookResend(MethodView):
    @blp.doc(operationId="resendWebhookDelivery")
    @requires("admin", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.response(200, WebhookDeliverySchema)
    @blp.alt_response(409, description="The endpoint is disabled: enable it first")
    def post(self, webhook_id, delivery_id):
        """Send a delivery again now, with the same webhook-id (retried on the usual schedule if it fails)"""
        return svc.resend(webhook_id, delivery_id)
