"""People: agency staff and client viewers."""
from flask import url_for
from flask.views import MethodView

from ...services import accounts as svc
from ...services.privileges import PEOPLE_MANAGERS_ONLY
from ..access import requires
from ..common import Blueprint, item_links
from ..pagination import paginate
from .schemas import UserCreateSchema, UserQuerySchema, UserSchema, UserUpdateSchema

blp = Blueprint("users", __name__, url_prefix="/users", description="Agency staff and client viewers (owner/admin)")


@blp.route("")
class Users(MethodView):
    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, args):
        """List the people of the agency"""
        return paginate(svc.list_users(), args)

    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.doc(**item_links(201, "User", user_id="$response.body#/id"))
    def post(self, data):
        """Add agency staff (with a role) or a client viewer (with companies)"""
        user, token = svc.create_user(data)
        user.set_password_token = token
        user.set_password_url = url_for("auth.set_password", token=token, _external=True) if token else None
        return user


@blp.route("/<uuid:user_id>")
class UserItem(MethodView):
    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Read a person"""
        return svc.get_user(user_id)

    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a person's name, role, companies or active state (never their password)"""
        version = data.pop("version", None)
        return svc.update_user(user_id, data, expected_version=version)

    @requires("admin", PEOPLE_MANAGERS_ONLY, agency_wide=True)
    @blp.response(204)
    def delete(self, user_id):
        """Remove a person's access"""
        svc.delete_user(user_id)
