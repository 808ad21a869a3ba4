"""The metric catalog: built-in metrics and the agency's custom gauges and flows."""
from flask.views import MethodView

from ...services import catalog
from ..access import requires
from ..common import Blueprint
from .schemas import MetricDefinitionCreateSchema, MetricDefinitionSchema

blp = Blueprint("metric_definitions", __name__, url_prefix="/metric-definitions",
                description="Every metric the agency can push, chart and set goals on")


def _out(defn):
    return {**defn.as_dict(), "aggregations": list(catalog.aggregations(defn))}


@blp.route("")
class MetricDefinitions(MethodView):
    @blp.doc(operationId="listMetricDefinitions")
    @requires("channels:list", agency_wide=True)
    @blp.response(200, MetricDefinitionSchema(many=True))
    def get(self):
        """List every metric: built-ins first, then the agency's own"""
        return [_out(d) for d in catalog.list_definitions()]

    @blp.doc(operationId="createMetricDefinition")
    @requires("write", "Adding metrics needs the write or admin permission.", agency_wide=True)
    @blp.arguments(MetricDefinitionCreateSchema)
    @blp.response(201, MetricDefinitionSchema)
    @blp.alt_response(409, description="The agency already has a metric with this key")
    def post(self, data):
        """Add a custom gauge or flow to the agency's catalog"""
        return _out(catalog.create_definition(data))
