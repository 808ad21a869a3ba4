"""The agency's settings: the tenant itself."""
from flask.views import MethodView

from ...services import agency as svc
from ...services.privileges import SETTINGS_MANAGERS_ONLY
from ..access import requires
from ..common import Blueprint
from .schemas import AgencySchema, AgencyUpdateSchema

blp = Blueprint("agency", __name__, url_prefix="/agency", description="The agency's settings")


@blp.route("")
class AgencySettings(MethodView):
    @blp.doc(operationId="getAgency")
    @requires("read", agency_wide=True)
    @blp.response(200, AgencySchema)
    def get(self):
        """Read the agency's settings"""
        return svc.get_agency()

    @blp.doc(operationId="updateAgency")
    @requires("admin", SETTINGS_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(AgencyUpdateSchema)
    @blp.response(200, AgencySchema)
    def patch(self, data):
        """Change the agency's settings (owner/admin, agency-wide admin keys)"""
        return svc.update_agency(data)
