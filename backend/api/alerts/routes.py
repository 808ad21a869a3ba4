"""Alerts: what the company's alert rules found, as a person (or an agency's key) sees them."""
from flask.views import MethodView

from ...read_models import alerts as rm
from ...services import alert_inbox as svc
from ...services.companies import get_company
from ..access import requires
from ..common import Blueprint
from ..pagination import set_pagination
from .schemas import AlertQuerySchema, AlertSchema, MarkAllReadSchema, MarkedSchema

blp = Blueprint("alerts", __name__, url_prefix="/alerts",
                description="Alerts raised by the companies' alert rules, and your read marks")


def _company_id(args):
    company_id = args.get("company_id")
    return get_company(company_id).id if company_id is not None else None


@blp.route("")
class Alerts(MethodView):
    @blp.doc(operationId="listAlerts")
    @requires("read")
    @blp.arguments(AlertQuerySchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.alt_response(404, description="The company_id filter names no company in your reach")
    def get(self, args):
        """List the alerts you see, newest first"""
        filters = {"company_id": _company_id(args), "kind": args.get("kind"), "read": args.get("read")}
        page, size = args["page"], args["page_size"]
        svc.visible_alerts(**filters)  # checks the filters (a key asking for read state: 422)
        total = rm.alert_total(**filters)
        set_pagination(total, page, size)
        return rm.alert_list(**filters, limit=size, offset=(page - 1) * size)


@blp.route("/read")
class AlertsRead(MethodView):
    @blp.doc(operationId="markAllAlertsRead")
    @requires("read", svc.PEOPLE_ONLY)
    @blp.arguments(MarkAllReadSchema)
    @blp.response(200, MarkedSchema)
    @blp.alt_response(404, description="The company_id names no company in your reach")
    def post(self, data):
        """Mark all your unread alerts read (of one company, one kind)"""
        marked = svc.mark_all_read(company_id=_company_id(data), kind=data.get("kind"))
        return {"marked": marked, "unread": rm.unread_count()}


@blp.route("/<uuid:alert_id>/read")
class AlertRead(MethodView):
    @blp.doc(operationId="markAlertRead")
    @requires("read", svc.PEOPLE_ONLY)
    @blp.response(200, AlertSchema)
    def post(self, alert_id):
        """Mark one alert read"""
        svc.mark_read(alert_id)
        return rm.alert_item(alert_id)
