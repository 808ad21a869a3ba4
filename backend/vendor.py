"""Front-end assets served by the app itself (no CDN): Bootstrap 5 from the Bootstrap-Flask
package, shared by the server-rendered pages and the Dash dashboard, and the fingerprints that
let browsers keep every asset for a year.

A fingerprinted URL names one version of a file, so its answer may be cached as immutable:

- Bootstrap and the app's ``/static/`` files: ``?v=<first 12 hex of the file's SHA-256>``
  (``vendor_url``, and ``url_for('static', ...)`` adds it by itself);
- the dashboard's own assets: Dash adds ``?m=<the file's mtime>``;
- Dash's component suites: Dash puts ``.v<version>m<mtime>`` into the file name.

``static_asset(request)`` says whether a request is for one of these files and whether its
fingerprint is the file's current one; backend/headers.py (Cache-Control) and
backend/compression.py (compressed once, cached) read it.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import flask_bootstrap
from flask import Blueprint, Flask, Request, abort, current_app, request, send_from_directory

BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).resolve().parent / "static" / "bootstrap5"
FILES = {
    "bootstrap.min.css": "css/bootstrap.min.css",
    "bootstrap.min.js": "js/bootstrap.min.js",
    "popper.min.js": "umd/popper.min.js",
    "bootstrap-icons.min.css": "css/font/bootstrap-icons.min.css",
}
STATIC_DIR = Path(__file__).resolve().parent / "static"
DASH_SUITES = "/dashboard/_dash-component-suites/"
FINGERPRINT_ARG = "v"

# The dashboard's partial Plotly build, for pages outside the dashboard that draw charts (reports and
# share pages, backend/reporting/charts.py): public, like every vendored file.
PLOTLY_NAME = "plotly-basic.min.js"


def _plotly_path() -> Path:
    from dashboard.bundles import PLOTLY_ASSET

    return Path(__file__).resolve().parent.parent / "dashboard" / "assets" / PLOTLY_ASSET


def _file(name: str) -> Path | None:
    if name == PLOTLY_NAME:
        return _plotly_path()
    return BOOTSTRAP_DIR / FILES[name] if name in FILES else None


bp = Blueprint("vendor", __name__)


def fingerprint(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256 (re-read only when its mtime or size moves)."""
    stat = path.stat()
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def vendor_url(name: str) -> str:
    """The fingerprinted URL of a vendored file, e.g. ``/vendor/bootstrap.min.css?v=1a2b3c4d5e6f``."""
    path = _file(name)
    if path is None:
        raise KeyError(name)
    return f"/vendor/{name}?{FINGERPRINT_ARG}={fingerprint(path)}"


# Read by dashboard/__init__.py for Dash's external_stylesheets; the templates use vendor_url.
BOOTSTRAP_CSS_URL = vendor_url("bootstrap.min.css")


@bp.get("/favicon.ico")
def favicon():
    """For browsers (and tools) that ask for the icon at the root; pages name it in their head."""
    return send_from_directory(STATIC_DIR, "favicon.ico", max_age=86400)


@bp.get("/vendor/<path:filename>")
def asset(filename: str):
    if filename.startswith("fonts/"):
        return send_from_directory(BOOTSTRAP_DIR / "css" / "font", filename)
    path = _file(filename)
    if path is None:
        abort(404)
    return send_from_directory(path.parent, path.name)


def init_fingerprints(app: Flask) -> None:
    """``url_for('static', filename=...)`` gets ``?v=<fingerprint>``; templates get ``vendor_url``."""

    @app.url_defaults
    def _static_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and FINGERPRINT_ARG not in values:
            path = _under(Path(app.static_folder or STATIC_DIR), values["filename"])
            if path is not None:
                values[FINGERPRINT_ARG] = fingerprint(path)

    app.jinja_env.globals["vendor_url"] = vendor_url


@dataclass(frozen=True)
class StaticAsset:
    """A request for a file that is the same for everyone (no tenant data in it)."""

    fingerprint: str  # as named in the URL ("" when it names none)
    current: bool  # the URL's fingerprint is the file's current one: cache it as immutable


def static_asset(req: Request | None = None) -> StaticAsset | None:
    """Classify the current request: None for pages and data (everything else)."""
    req = req or request
    endpoint = req.endpoint or ""
    if req.path.startswith(DASH_SUITES):
        from dash.fingerprint import check_fingerprint

        _, has_fingerprint = check_fingerprint(req.path)
        name = req.path.rsplit("/", 1)[-1]
        return StaticAsset(name if has_fingerprint else "", has_fingerprint)
    if endpoint.endswith("dash_assets.static"):  # the dashboard's assets folder (Dash's blueprint)
        folder = current_app.blueprints[endpoint.rsplit(".", 1)[0]].static_folder
        return _by_file(folder, req.view_args, req.args.get("m", ""), _mtime)
    if endpoint == "static":
        return _by_file(current_app.static_folder, req.view_args, req.args.get(FINGERPRINT_ARG, ""),
                        lambda path: (fingerprint(path),))
    if endpoint == "vendor.asset":
        name = (req.view_args or {}).get("filename", "")
        path = _file(name)
        stated = req.args.get(FINGERPRINT_ARG, "")
        return StaticAsset(stated, bool(stated) and path is not None and fingerprint(path) == stated)
    if endpoint in ("vendor.favicon", "api_docs_assets.asset"):
        return StaticAsset("", False)
    return None


def _by_file(folder: str | None, view_args: dict | None, stated: str, current) -> StaticAsset:
    path = _under(Path(folder or STATIC_DIR), (view_args or {}).get("filename", ""))
    return StaticAsset(stated, bool(stated) and path is not None and stated in current(path))


def _mtime(path: Path) -> tuple[str, str]:
    """The file's mtime as Dash writes it into ?m=, and in whole seconds (the Plotly bundle's link)."""
    mtime = os.stat(path).st_mtime
    return str(mtime), str(int(mtime))


def _under(folder: Path, filename: str) -> Path | None:
    """The file inside ``folder``, or None (missing, or a path that leaves the folder)."""
    try:
        path = (folder / filename).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_file() or folder.resolve() not in path.parents:
        return None
    return path
