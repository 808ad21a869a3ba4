"""Companies: the client accounts of the agency."""
from flask.views import MethodView

from ...services import companies as svc
from ..access import requires
from ..common import Blueprint, links
from ..pagination import paginate
from .schemas import CompanyCreateSchema, CompanyQuerySchema, CompanySchema, CompanyUpdateSchema

blp = Blueprint("companies", __name__, url_prefix="/companies", description="Client companies of the agency")

# A new company's id feeds the company's own operations and every nested resource's.
COMPANY_OPERATIONS = (
    "getCompany", "updateCompany", "deleteCompany", "listChannels", "createChannel", "listCampaigns",
    "createCampaign", "listGoals", "createGoal", "getStrategy", "saveStrategy", "listStrategyRevisions",
    "readMetrics", "pushMetrics", "summariseMetrics", "importMetrics", "exportMetrics",
)


@blp.route("")
class Companies(MethodView):
    @blp.doc(operationId="listCompanies")
    @requires("read")
    @blp.arguments(CompanyQuerySchema, location="query")
    @blp.response(200, CompanySchema(many=True))
    def get(self, args):
        """List the companies you can see"""
        return paginate(svc.list_companies(search=args.get("q"), archived=args.get("archived")), args)

    @blp.doc(operationId="createCompany")
    @requires("admin", "Only agency owners and admins (or admin keys) create companies.")
    @blp.arguments(CompanyCreateSchema)
    @blp.response(201, CompanySchema)
    @blp.doc(**links(201, *COMPANY_OPERATIONS, company_id="$response.body#/id"))
    @blp.alt_response(409, description="A company with this name already exists")
    def post(self, data):
        """Create a company (owner/admin, admin keys)"""
        return svc.create_company(data)


@blp.route("/<uuid:company_id>")
class CompanyItem(MethodView):
    @blp.doc(operationId="getCompany")
    @requires("read")
    @blp.response(200, CompanySchema)
    def get(self, company_id):
        """Read a company"""
        return svc.get_company(company_id)

    @blp.doc(operationId="updateCompany")
    @requires("admin", "Only agency owners and admins (or admin keys) edit companies.")
    @blp.arguments(CompanyUpdateSchema)
    @blp.response(200, CompanySchema)
    @blp.alt_response(409, description="The company was changed meanwhile (a stale version), or another has this "
                                   "name")
    def patch(self, data, company_id):
        """Rename, archive or restore a company"""
        version = data.pop("version", None)
        return svc.update_company(company_id, data, expected_version=version)

    @blp.doc(operationId="deleteCompany")
    @requires("admin", "Only agency owners and admins (or admin keys) delete companies.")
    @blp.response(204)
    def delete(self, company_id):
        """Delete a company and all its data"""
        svc.delete_company(company_id)
