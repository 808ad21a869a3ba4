"""Campaigns: time-boxed pushes on some channels, with a budget."""
from flask.views import MethodView

from ...services import campaigns as svc
from ..access import requires
from ..common import Blueprint, links
from ..pagination import paginate
from .schemas import (
    CampaignCreateSchema,
    CampaignDeleteQuerySchema,
    CampaignQuerySchema,
    CampaignSchema,
    CampaignUpdateSchema,
)

blp = Blueprint("campaigns", __name__, url_prefix="/companies/<uuid:company_id>/campaigns",
                description="A company's campaigns (drawn on the dashboard; budgets feed ROI)")


@blp.route("")
class Campaigns(MethodView):
    @blp.doc(operationId="listCampaigns")
    @requires("read")
    @blp.arguments(CampaignQuerySchema, location="query")
    @blp.response(200, CampaignSchema(many=True))
    def get(self, args, company_id):
        """List the company's campaigns, latest start first"""
        stmt = svc.list_campaigns(company_id, date_from=args.get("date_from"), date_to=args.get("date_to"))
        return paginate(stmt, args)

    @blp.doc(operationId="createCampaign")
    @requires("write")
    @blp.arguments(CampaignCreateSchema)
    @blp.response(201, CampaignSchema)
    @blp.doc(**links(201, "getCampaign", "updateCampaign", "deleteCampaign",
                      company_id="$request.path.company_id", campaign_id="$response.body#/id"))
    def post(self, data, company_id):
        """Add a campaign"""
        return svc.create_campaign(company_id, data)


@blp.route("/<uuid:campaign_id>")
class CampaignItem(MethodView):
    @blp.doc(operationId="getCampaign")
    @requires("read")
    @blp.response(200, CampaignSchema)
    def get(self, company_id, campaign_id):
        """Read a campaign"""
        return svc.get_campaign(company_id, campaign_id)

    @blp.doc(operationId="updateCampaign")
    @requires("write")
    @blp.arguments(CampaignUpdateSchema)
    @blp.response(200, CampaignSchema)
    @blp.alt_response(409, description="The campaign was changed meanwhile (a stale version); nothing was saved")
    def patch(self, data, company_id, campaign_id):
        """Change a campaign"""
        version = data.pop("version", None)
        return svc.update_campaign(company_id, campaign_id, data, expected_version=version)

    @blp.doc(operationId="deleteCampaign")
    @requires("write")
    @blp.arguments(CampaignDeleteQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(409, description="The campaign was changed meanwhile (a stale version); nothing was saved")
    def delete(self, args, company_id, campaign_id):
        """Delete a campaign"""
        svc.delete_campaign(company_id, campaign_id, expected_version=args.get("version"))
