"""Reachboard: plan and measure a company's presence on social media.

``create_app(config)`` builds the Flask app with the REST API, the login pages and the Dash
dashboard; gunicorn (wsgi.py), the CLI and the tests all use it.
"""
from __future__ import annotations

import logging

from flask import Flask, request

from config import load_config

from .errors import problem


def create_app(config=None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(load_config(config))
    _configure_logging(app)
    if app.config.get("PROXY_COUNT"):
        # Behind nginx (deploy/): the client's address and scheme come from the proxy's headers,
        # trusted for exactly that many proxies, so limits count per real client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    # Flask runs after_request hooks in reverse order: these two, registered first, run last, on
    # the finished answer — compression (backend/compression.py), then Cache-Control and Vary.
    from .compression import init_compression
    from .headers import init_cache_headers

    init_cache_headers(app)
    init_compression(app)

    from . import models  # noqa: F401  (register the tables)
    from .database import configure_engine
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .scoping import install_scoping

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    install_scoping()
    from .i18n import init_i18n
    from .services.agency import default_locale_of

    init_i18n(app, agency_locale=default_locale_of)
    from .jobs import init_jobs
    from .services.mail import init_mail

    init_jobs(app)
    init_mail(app)

    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"],
                         app.config.get("SQLITE_JOURNAL_SIZE_LIMIT", 64 * 1024 * 1024))

    # Raw input first: NUL characters, JSON depth and integer length (backend/inputs.py).
    from .inputs import init_input_guard

    init_input_guard(app)

    # Order matters: bind the principal (and answer 401) before CSRF runs, else an unauthenticated
    # Dash callback would get Flask-WTF's 400 instead of a 401.
    from .api.access import init_access
    from .auth import bp as auth_bp
    from .auth import init_principal

    init_principal(app)
    # Rate limits count per principal, so they run once it is bound (before the URL lookups).
    from .api.ratelimit import retry_after_only_when_limited

    retry_after_only_when_limited(app)
    limiter.init_app(app)
    init_access(app)
    _guard_api_bodies(app)

    from .api import init_api
    from .api.docs_assets import bp as docs_assets_bp
    from .api.pagination import init_pagination_header
    from .health import bp as health_bp

    api = init_api(app)
    init_pagination_header(app)
    app.extensions["reachboard_api"] = api
    app.register_blueprint(auth_bp)
    from .admin import bp as admin_bp

    app.register_blueprint(admin_bp)
    from .client_reports import bp as client_reports_bp

    app.register_blueprint(client_reports_bp)
    from .alert_pages import bp as alert_pages_bp

    app.register_blueprint(alert_pages_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(docs_assets_bp)
    from .vendor import bp as vendor_bp
    from .vendor import init_fingerprints

    app.register_blueprint(vendor_bp)
    init_fingerprints(app)
    from .share import bp as share_bp

    app.register_blueprint(share_bp)

    from dashboard import init_dashboard

    dash_app = init_dashboard(app)

    from .headers import init_security_headers

    init_security_headers(app, list(dash_app.csp_hashes()))

    csrf.init_app(app)
    _exempt_api_from_csrf(app, csrf)
    csrf.exempt(share_bp)  # the share page's PIN form: no session to protect (backend/share/)

    from .errors import register_error_handlers

    register_error_handlers(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, app.config.get("LOG_LEVEL", "INFO"), logging.INFO)
    app.logger.setLevel(level)
    logging.getLogger("backend").setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _exempt_api_from_csrf(app: Flask, csrf) -> None:
    """The JSON/CSV API is exempt: it needs a JSON or CSV content type, which a cross-site form
    cannot send, and session cookies are SameSite=Lax. Forms and Dash callbacks keep CSRF."""
    for name, blueprint in app.blueprints.items():
        if name in ("api-docs",) or any(
            rule.rule.startswith("/api/") for rule in app.url_map.iter_rules() if rule.endpoint.startswith(name + ".")
        ):
            csrf.exempt(blueprint)


from .bounds import CSV_MAX_BYTES  # noqa: E402

# Content types accepted for request bodies under /api/: path suffix -> mimetypes.
CSV_PATH_SUFFIXES = ("/metrics/import", "/mentions/import")
# multipart/form-data uploads (a logo of at most 1 MB: the body may be a little larger, a file
# over 1 MB inside it is a 422 on its field). Such routes take PUT only, which no cross-site form
# can send, so the API's CSRF exemption still holds for them.
UPLOAD_PATH_SUFFIXES = ("/agency/branding/logo",)
UPLOAD_MAX_BYTES = 2 * 1024 * 1024


def _check_upload(length: int | None):
    if request.mimetype != "multipart/form-data":
        return problem(415, "Unsupported media type",
                       f"Send the file as multipart/form-data (got {request.mimetype or 'no Content-Type'}).")
    request.max_content_length = UPLOAD_MAX_BYTES  # a chunked body is cut there (413)
    if length and length > UPLOAD_MAX_BYTES:
        return problem(413, "Payload too large", f"The upload is larger than the limit of {UPLOAD_MAX_BYTES:,} bytes; "
                       "a logo may be at most 1 MB.", limit=UPLOAD_MAX_BYTES)
    return None


def _guard_api_bodies(app: Flask) -> None:
    @app.before_request
    def _check_body():
        if not request.path.startswith("/api/") or request.method not in ("POST", "PUT", "PATCH"):
            return None
        length = request.content_length
        if not length and not request.headers.get("Transfer-Encoding"):
            return None
        if request.path.endswith(UPLOAD_PATH_SUFFIXES):
            return _check_upload(length)
        expected = ("text/csv",) if request.path.endswith(CSV_PATH_SUFFIXES) else ("application/json",)
        if request.mimetype not in expected:
            return problem(
                415,
                "Unsupported media type",
                f"Send the body as {' or '.join(expected)} (got {request.mimetype or 'no Content-Type'}).",
            )
        if expected[0] == "application/json":
            # Also caps bodies sent without a Content-Length (chunked): reading past it is a 413.
            request.max_content_length = app.config["MAX_JSON_BYTES"]
            if not length:  # chunked: werkzeug stops reading at the cap; a body that fills it is too large
                length = len(request.get_data(cache=True))
                if length >= app.config["MAX_JSON_BYTES"]:
                    length = app.config["MAX_JSON_BYTES"] + 1
        if expected[0] == "application/json" and length and length > app.config["MAX_JSON_BYTES"]:
            return problem(
                413,
                "Payload too large",
                f"The JSON body is larger than the limit of {app.config['MAX_JSON_BYTES']} bytes (5 MiB).",
                limit=app.config["MAX_JSON_BYTES"],
            )
        if expected[0] == "text/csv":
            request.max_content_length = CSV_MAX_BYTES  # a chunked body is cut there (413)
            if length and length > CSV_MAX_BYTES:
                return problem(413, "Payload too large",
                               f"The CSV file is larger than the limit of {CSV_MAX_BYTES:,} bytes (50 MB); "
                               "split it into smaller files.", limit=CSV_MAX_BYTES)
        return None
