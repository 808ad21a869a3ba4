"""The company's social-media strategy and its saved versions."""
import re

from flask import request
from flask.views import MethodView

from ...services import strategy as svc
from ...services.errors import ValidationFailed
from ..access import REVISION_MAX, requires
from ..common import Blueprint, links, response_headers
from ..pagination import paginate
from .schemas import RevisionQuerySchema, RevisionSchema, StrategyPutSchema, StrategySchema

blp = Blueprint("strategy", __name__, url_prefix="/companies/<uuid:company_id>/strategy",
                description="One strategy per company, with every saved revision")


IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False,
    "schema": {"type": "string", "pattern": r'^\s*(W/)?"?\d+"?\s*$', "example": '"3"'},
    "description": 'The revision you edited, as the ETag of GET sent it ("3"); the same as the revision field: '
                   "the save is refused (409) if the strategy was saved meanwhile.",
}


def _etag(revision: int) -> dict:
    return {"ETag": f'"{revision}"'}


def _if_match() -> int | None:
    header = request.headers.get("If-Match")
    if not header:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d+)"?\s*', header)
    if not match:
        raise ValidationFailed.field("If-Match", 'Send the strategy revision, like "3".')
    return int(match.group(1))


@blp.route("")
class StrategyItem(MethodView):
    @blp.doc(operationId="getStrategy")
    @requires("read")
    @blp.response(200, StrategySchema)
    @blp.doc(**response_headers(200, ETag=True))
    def get(self, company_id):
        """Read the company's current strategy (the ETag header is its revision)"""
        strategy = svc.get_strategy(company_id)
        return strategy, 200, _etag(strategy.revision)

    @blp.doc(operationId="saveStrategy")
    @requires("write")
    @blp.arguments(StrategyPutSchema)
    @blp.response(200, StrategySchema)
    @blp.alt_response(409, description="The strategy was saved by someone else since the revision you edited")
    @blp.doc(**response_headers(200, ETag=True), parameters=[IF_MATCH])
    @blp.doc(**links(200, "getStrategyRevision", company_id="$request.path.company_id",
                     revision="$response.body#/revision"))
    @blp.doc(**links(200, "listStrategyRevisions", company_id="$request.path.company_id"))
    def put(self, data, company_id):
        """Save the strategy (a new revision if anything changed)

        PUT replaces the whole strategy: a field left out is reset to its default (empty text,
        empty lists, no launch plan, review_cadence "monthly", status "draft"), so send every
        field you want to keep — typically what GET returned, edited. A save that changes nothing
        creates no revision. To guard against overwriting someone else's save, send the revision
        you edited in the `revision` field or as `If-Match: "<revision>"`; if the strategy has
        moved on, the answer is 409 and nothing is saved. Audiences and the channel plan may only
        name channels the company has; the launch plan needs both followers_target (> 0) and
        target_date. Texts are limited to 10,000 characters.
        """
        expected = data.pop("revision", None)
        header = _if_match()
        if expected is not None and header is not None and expected != header:
            raise ValidationFailed.field("revision", "The revision in the body and in If-Match differ.")
        strategy = svc.update_strategy(company_id, data, expected_revision=expected if expected is not None else header,
                                       replace=True)
        return strategy, 200, _etag(strategy.revision)


@blp.route("/revisions")
class Revisions(MethodView):
    @blp.doc(operationId="listStrategyRevisions")
    @requires("read")
    @blp.arguments(RevisionQuerySchema, location="query")
    @blp.response(200, RevisionSchema(many=True))
    def get(self, args, company_id):
        """List the saved revisions, newest first, with who, when and what changed

        Revision 0, the empty draft every company starts with, is not listed; read it at
        /strategy/revisions/0.
        """
        return paginate(svc.list_revisions(company_id), args)


# Revision numbers are 32-bit integers in the database: a larger one is no revision (404,
# backend/api/access.py), never a database error.
@blp.route("/revisions/<int:revision>", parameters=[{
    "in": "path", "name": "revision", "description": "0 is the empty draft every company starts with",
    "schema": {"type": "integer", "minimum": 0, "maximum": REVISION_MAX}}])
class RevisionItem(MethodView):
    @blp.doc(operationId="getStrategyRevision")
    @requires("read")
    @blp.response(200, StrategySchema)
    def get(self, company_id, revision):
        """Read the whole strategy as it was at a revision"""
        return svc.get_revision(company_id, revision)
