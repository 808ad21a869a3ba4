"""People: agency staff and client viewers."""
from flask import url_for
from flask.views import MethodView

from ...services import accounts as svc
from ...services.privileges import PEOPLE_MANAGERS_ONLY
from ..access import requires
from ..common import Blueprint, links
from ..pagination import paginate
from .schemas import UserCreateSchema, UserQuerySchema, UserSchema, UserUpdateSchema

blp = Blueprint("users", __name__, url_prefix="/users", description="Agency staff and client viewers (owner/admin)")


@blp.route("")
class Users(MethodView):
    @blp.doc(operationId="listUsers")
    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, args):
        """List the people of the agency"""
        return paginate(svc.list_users(), args)

    @blp.doc(operationId="createUser")
    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.doc(**links(201, "getUser", "updateUser", "deleteUser", user_id="$response.body#/id"))
    @blp.alt_response(409, description="A person with this e-mail address already exists")
    def post(self, data):
        """Add agency staff (with a role) or a client viewer (with companies)"""
        user, token = svc.create_user(data)
        user.set_password_token = token
        user.set_password_url = url_for("auth.set_password", token=token, _external=True) if token else None
        return user


@blp.route("/<uuid:user_id>")
class UserItem(MethodView):
    @blp.doc(operationId="getUser")
    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Read a person"""
        return svc.get_user(user_id)

    @blp.doc(operationId="updateUser")
    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(409, description="The person was changed meanwhile (a stale version), or the agency "
                                   "would lose its last active owner")
    def patch(self, data, user_id):
        """Change a person's name, role, companies or active state (never their password)"""
        version = data.pop("version", None)
        return svc.update_user(user_id, data, expected_version=version)

    @blp.doc(operationId="deleteUser")
    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.response(204)
    @blp.alt_response(409, description="The agency would lose its last active owner")
    @blp.alt_response(422, description="You cannot remove yourself")
    def delete(self, user_id):
        """Remove a person's access"""
        svc.delete_user(user_id)
