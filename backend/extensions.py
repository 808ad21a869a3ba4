"""Flask extensions, created unbound and wired in the app factory."""
from typing import TYPE_CHECKING

from flask import current_app, has_app_context, has_request_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base Flask-SQLAlchemy builds ``db.Model`` from (its documented 3.1 way),
    with the constraint naming convention the migrations use."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The base class of the models. ``db.Model`` is made at run time, so a type checker cannot use it
# as a base class; for it, ``Model`` is what ``db.Model`` is: Flask-SQLAlchemy's model mixin
# (``query``, ``__fsa__``) on :class:`Base`.
if TYPE_CHECKING:
    from typing import ClassVar

    from flask_sqlalchemy.model import Model as _FSAModel
    from sqlalchemy import Table

    class Model(_FSAModel, Base):
        """``db.Model``, as Flask-SQLAlchemy builds it from :class:`Base`."""

        __table__: ClassVar[Table]  # every model names its own table (``__tablename__``)
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

# Flask-Limiter keeps its storage and on/off switch on the (process-global) Limiter object, so
# the last app built in a process would silently reconfigure every earlier one (tests build
# many apps). These attributes are kept per app, in ``app.extensions``, instead.
_PER_APP_STATE = "reachboard_limiter_state"
_PER_APP_ATTRS = (
    "enabled", "initialized", "_storage", "_limiter", "_storage_dead", "_strategy",
    "_fallback_limiter", "_fallback_storage", "_in_memory_fallback_enabled", "_headers_enabled",
)


def _per_app_attr(name: str) -> property:
    def _state():
        if has_app_context():
            return current_app.extensions.get(_PER_APP_STATE)
        return None

    def fget(self):
        state = None if self.__dict__.get("_initialising") else _state()
        if state is not None and name in state:
            return state[name]
        return self.__dict__.get("_defaults", {}).get(name)

    def fset(self, value):
        state = None if self.__dict__.get("_initialising") else _state()
        if state is not None:
            state[name] = value
        else:
            self.__dict__.setdefault("_defaults", {})[name] = value

    return property(fget, fset)


class PerAppLimiter(Limiter):
    """A Limiter whose storage and settings belong to each app it is initialised on."""

    def init_app(self, app) -> None:
        defaults = self.__dict__.setdefault("_defaults", {})
        pristine = self.__dict__.setdefault("_pristine", dict(defaults))
        defaults.clear()
        defaults.update(pristine)
        self.__dict__["_initialising"] = True
        try:
            super().init_app(app)
        finally:
            self.__dict__["_initialising"] = False
        app.extensions[_PER_APP_STATE] = {name: defaults.get(name) for name in _PER_APP_ATTRS}


for _name in _PER_APP_ATTRS:
    setattr(PerAppLimiter, _name, _per_app_attr(_name))


def rate_limit_key() -> str:
    """Count per principal (API key or user) when one is bound, else per client address."""
    if has_request_context():
        from .tenancy import get_principal

        p = get_principal()
        if p is not None:
            return f"{p.kind}:{p.api_key_id or p.user_id or p.agency_id}"
    return get_remote_address()


# API_RATE_LIMIT / PUSH_RATE_LIMIT are applied per resource blueprint in backend/api/ratelimit.py.
limiter = PerAppLimiter(key_func=rate_limit_key, default_limits=[], headers_enabled=True)
