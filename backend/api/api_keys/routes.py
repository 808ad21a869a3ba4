"""API keys for third parties."""
from flask.views import MethodView

from ...services import api_keys as svc
from ...services.privileges import KEY_MANAGERS_ONLY
from ..access import requires
from ..common import Blueprint, links
from ..pagination import paginate
from .schemas import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeyQuerySchema, ApiKeySchema

blp = Blueprint("api_keys", __name__, url_prefix="/api-keys", description="API keys (owner/admin, admin keys)")


@blp.route("")
class ApiKeys(MethodView):
    @blp.doc(operationId="listApiKeys")
    @requires("admin", KEY_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(ApiKeyQuerySchema, location="query")
    @blp.response(200, ApiKeySchema(many=True))
    def get(self, args):
        """List API keys (never the keys themselves)"""
        return paginate(svc.list_keys(company_id=args.get("company_id"),
                                      include_revoked=args["include_revoked"]), args)

    @blp.doc(operationId="createApiKey")
    @requires("admin", KEY_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, ApiKeyCreatedSchema)
    @blp.doc(**links(201, "getApiKey", "revokeApiKey", key_id="$response.body#/id"))
    def post(self, data):
        """Create an API key; the key is in this response only"""
        key, plaintext = svc.create_key(data)
        key.key = plaintext
        return key


@blp.route("/<uuid:key_id>")
class ApiKeyItem(MethodView):
    @blp.doc(operationId="getApiKey")
    @blp.response(200, ApiKeySchema)
    def get(self, key_id):
        """Read an API key's details (key managers, or the key itself)"""
        return svc.get_key(key_id)

    @blp.doc(operationId="revokeApiKey")
    @blp.response(200, ApiKeySchema)
    def delete(self, key_id):
        """Revoke an API key (key managers, or the key itself); it answers 401 from now on"""
        return svc.revoke_key(key_id)
