"""Answers remembered for the rest of one request (none outside a request).

Some reads are asked for several times while one request is served (a dashboard page resolves
the same company and the agency's metric catalog in several services). A request memo is a dict
on ``flask.g``: it cannot outlive the request, and callers key it by the principal itself so that
it never answers for anyone else. Services that change what is remembered forget it.
"""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context


def request_memo(name: str) -> dict[Any, Any] | None:
    """The request's memo called ``name`` (created empty), or None outside a request."""
    if not has_request_context():
        return None
    memos: dict[str, dict[Any, Any]] | None = getattr(g, "_reachboard_memos", None)
    if memos is None:
        memos = g._reachboard_memos = {}
    return memos.setdefault(name, {})
