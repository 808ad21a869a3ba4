"""Security headers on every response, from one ``after_request`` hook.

The Content-Security-Policy allows scripts from the app's own origin only. Inline scripts are
refused everywhere, except the one Dash writes into its page (allowed by its hash, computed from
the Dash app when the app is built). Two allowances are forced by the libraries:

- ``'unsafe-eval'`` in ``script-src`` on the dashboard only (``/dashboard/``): dash-ag-grid turns
  the portfolio grid's cell renderers and comparators, written as strings, into functions with
  ``new Function`` (see DASHBOARD_SCRIPT_EVAL);
- ``'unsafe-inline'`` in ``style-src`` everywhere: Plotly and Dash set element styles inline and
  Plotly inserts ``<style>`` elements while it draws.

The public share page (``/s/``) sets a stricter policy of its own: no connection at all
(backend/share/).

Other headers: ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (no page renders in a
frame), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (``no-referrer``
on set-password pages and share pages, whose URL holds a token), ``Cross-Origin-Opener-Policy``, and
HSTS under production (the app is served over HTTPS there).

Caching (``init_cache_headers``): a static file asked for by its current fingerprint
(backend/vendor.py) may be kept a year, ``public, max-age=31536000, immutable``; other static
files are revalidated (``no-cache``, with their ETag); everything else — pages, Dash callbacks,
the API, the CSV export, redirects and errors — carries tenant data or a CSRF token:
``private, no-store`` and ``Vary: Cookie, Authorization``, so no shared cache ever keeps one
person's answer for another. One exception: tenant data asked for by its content's fingerprint
(the agency's logo, ``?v=<hash>``) may be kept a year by the browser only,
``PRIVATE_IMMUTABLE``, which such a view sets itself.
"""
from __future__ import annotations

from flask import Flask, Response, request, session

from .vendor import static_asset

SET_PASSWORD_PREFIX = "/set-password/"
SHARE_PREFIX = "/s/"  # the public share page: its URL is the credential (backend/share/)
DASHBOARD_PREFIX = "/dashboard/"
# dash-ag-grid builds functions from strings (cellRenderer, valueFormatter, comparator ...): they
# need eval. Set to False to check in a browser whether a Dash upgrade still needs it.
DASHBOARD_SCRIPT_EVAL = True
HSTS = "max-age=31536000; includeSubDomains"
# Pages whose URL holds a secret: no Referer header leaves them.
NO_REFERRER_PREFIXES = (SET_PASSWORD_PREFIX, SHARE_PREFIX)


def content_security_policy(script_hashes: list[str], *, allow_eval: bool) -> str:
    script_src = ["'self'", *script_hashes] + (["'unsafe-eval'"] if allow_eval else [])
    directives = {
        "default-src": ["'self'"],
        "script-src": script_src,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_security_headers(app: Flask, script_hashes: list[str]) -> None:
    """Add the headers to every response; ``script_hashes`` are the allowed inline scripts."""
    strict = content_security_policy(script_hashes, allow_eval=False)
    dashboard = content_security_policy(script_hashes, allow_eval=DASHBOARD_SCRIPT_EVAL)
    production = app.config.get("ENV_NAME") == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        path = request.path
        headers = response.headers
        headers.setdefault("Content-Security-Policy", dashboard if path.startswith(DASHBOARD_PREFIX) else strict)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers["Referrer-Policy"] = "no-referrer" if path.startswith(NO_REFERRER_PREFIXES) else "same-origin"
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response


IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
PRIVATE = "private, no-store"
PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"
# What a page or an answer depends on besides its URL: the session cookie and the API key
# (``Authorization: Bearer``, the only header a key is accepted in).
PRIVATE_VARY = ("Cookie", "Authorization")


def init_cache_headers(app: Flask) -> None:
    """Set Cache-Control (and Vary on private answers) on every response. Register it before
    every other ``after_request`` hook, so that it runs last."""

    @app.after_request
    def _cache_headers(response: Response) -> Response:
        asset = static_asset()
        headers = response.headers
        headers.pop("Expires", None)
        if asset is not None and response.status_code in (200, 206, 304):
            headers["Cache-Control"] = IMMUTABLE if asset.current else REVALIDATE
            # The same file for everyone: no "Vary: Cookie" (Flask adds it when the request read
            # the session, as the login check of Dash's bundles does), which would make browsers
            # and shared caches keep a copy per cookie.
            session.accessed = False
            return response
        if not (headers.get("Cache-Control") == PRIVATE_IMMUTABLE and response.status_code in (200, 304)):
            headers["Cache-Control"] = PRIVATE
        for name in PRIVATE_VARY:
            response.vary.add(name)
        return response
