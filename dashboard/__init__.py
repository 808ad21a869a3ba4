"""The Dash dashboard, mounted at /dashboard/ inside the Flask app factory."""
from __future__ import annotations

from flask import Flask, render_template_string
from flask_login import current_user


def init_dashboard(server: Flask) -> None:
    """Mount the dashboard (placeholder page until the dashboard issue lands)."""

    @server.get("/dashboard/")
    def dashboard_home():
        return render_template_string(
            '{% extends "base.html" %}{% block content %}<section class="rb-card"><h1>Dashboard</h1>'
            "<p>Logged in as {{ email }}.</p><p><a href=\"/logout\">Log out</a></p></section>{% endblock %}",
            email=current_user.email,
        )
