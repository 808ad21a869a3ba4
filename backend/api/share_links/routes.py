"""Share links: a read-only public page of one report, or of the live board for a fixed range."""
from flask import request
from flask.views import MethodView

from ...models import ShareLink, utcnow
from ...services import share_links as svc
from ...services.errors import ValidationFailed
from ..access import requires
from ..common import Blueprint
from ..idempotency import HEADER
from ..pagination import paginate
from .schemas import ShareLinkCreatedSchema, ShareLinkCreateSchema, ShareLinkQuerySchema, ShareLinkSchema

blp = Blueprint("share_links", __name__, url_prefix="/companies/<uuid:company_id>/share-links",
                description="Read-only links to a report or to the live board, with an expiry and an optional PIN")

IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "The same key (from the same credential) with the same body answers the link it made, with its "
                   "token, and makes no other; with a different body, 422.",
}]}


def _out(link: ShareLink, token: str | None = None) -> dict:
    out = {"id": link.id, "company_id": link.company_id, "kind": link.kind, "report_id": link.report_id,
           "board_from": link.board_from, "board_to": link.board_to, "label": link.label,
           "has_pin": bool(link.pin_hash), "state": link.state(utcnow()), "expires_at": link.expires_at,
           "revoked_at": link.revoked_at, "view_count": link.view_count, "last_viewed_at": link.last_viewed_at,
           "wrong_pins": link.pin_failures, "created_by": link.created_by, "created_at": link.created_at}
    if token is not None:
        out |= {"token": token, "url": request.url_root.rstrip("/") + svc.share_path(token)}
    return out


@blp.route("")
class ShareLinks(MethodView):
    @blp.doc(operationId="listShareLinks")
    @requires("read", svc.READERS_ONLY, agency_wide=True)
    @blp.arguments(ShareLinkQuerySchema, location="query")
    @blp.response(200, ShareLinkSchema(many=True))
    def get(self, args, company_id):
        """List the company's share links, newest first, with their views (never their tokens)"""
        return [_out(link) for link in paginate(svc.share_links_select(company_id), args)]

    @blp.doc(operationId="createShareLink")
    @requires("write", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(ShareLinkCreateSchema)
    @blp.response(201, ShareLinkCreatedSchema)
    def post(self, data, company_id):
        """Make a share link; its token is in this answer only"""
        key = request.headers.get(HEADER)
        if key is None:
            link, token = svc.create_share_link(company_id, **data)
            return _out(link, token)
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            raise ValidationFailed.field(HEADER, "Must be 1 to 255 printable characters.")
        link, token, created = svc.create_share_link_once(company_id, key, **data)
        return _out(link, token), 201, ({} if created else {"Idempotent-Replayed": "true"})


@blp.route("/<uuid:link_id>")
class ShareLinkItem(MethodView):
    @blp.doc(operationId="revokeShareLink")
    @requires("write", svc.MANAGERS_ONLY, agency_wide=True)
    @blp.response(204)
    def delete(self, company_id, link_id):
        """Revoke a share link: its page answers 404 from now on (the link stays listed as revoked)"""
        svc.revoke_share_link(company_id, link_id)
