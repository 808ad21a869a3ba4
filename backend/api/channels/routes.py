"""Channels: a company's presences on social platforms."""
from flask.views import MethodView

from ...services import channels as svc
from ..access import requires
from ..common import Blueprint, links
from ..pagination import paginate
from .schemas import (
    ChannelCreateSchema,
    ChannelDeleteQuerySchema,
    ChannelQuerySchema,
    ChannelSchema,
    ChannelUpdateSchema,
)

blp = Blueprint("channels", __name__, url_prefix="/companies/<uuid:company_id>/channels",
                description="A company's channels (metrics-push keys may list them)")


@blp.route("")
class Channels(MethodView):
    @blp.doc(operationId="listChannels")
    @requires("channels:list")
    @blp.arguments(ChannelQuerySchema, location="query")
    @blp.response(200, ChannelSchema(many=True))
    def get(self, args, company_id):
        """List the company's channels"""
        return paginate(svc.list_channels(company_id, active=args.get("active")), args)

    @blp.doc(operationId="createChannel")
    @requires("write")
    @blp.arguments(ChannelCreateSchema)
    @blp.response(201, ChannelSchema)
    @blp.alt_response(409, description="The company already has a channel with this key")
    @blp.doc(**links(201, "getChannel", "updateChannel", "deleteChannel",
                      company_id="$request.path.company_id", channel_key="$response.body#/key"))
    def post(self, data, company_id):
        """Add a channel to the company"""
        return svc.create_channel(company_id, data)


@blp.route("/<channel_key>")
class ChannelItem(MethodView):
    @blp.doc(operationId="getChannel")
    @requires("read")
    @blp.response(200, ChannelSchema)
    def get(self, company_id, channel_key):
        """Read a channel"""
        return svc.get_channel(company_id, channel_key)

    @blp.doc(operationId="updateChannel")
    @requires("write")
    @blp.arguments(ChannelUpdateSchema)
    @blp.response(200, ChannelSchema)
    @blp.alt_response(409, description="The channel was changed meanwhile (a stale version); nothing was saved")
    def patch(self, data, company_id, channel_key):
        """Change a channel (its key stays)"""
        version = data.pop("version", None)
        return svc.update_channel(company_id, channel_key, data, expected_version=version)

    @blp.doc(operationId="deleteChannel")
    @requires("write")
    @blp.arguments(ChannelDeleteQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(409, description="The channel has metric values (use force=true), is used by goals, "
                                       "the strategy or campaigns, or was changed meanwhile (a stale version)")
    def delete(self, args, company_id, channel_key):
        """Delete a channel (with force=true, also its metric values)"""
        svc.delete_channel(company_id, channel_key, force=args["force"], expected_version=args.get("version"))
