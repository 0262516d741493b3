"""One error shape: ``{"error": {"code", "message"}}`` for the API, the same message on HTML pages."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search import SearchError

log = logging.getLogger("fahras")


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """Return the JSON body of every error."""
    return {"error": {"code": code, "message": message}}


def wants_json() -> bool:
    """True for API and health routes, whose errors are JSON."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def render_error(status: int, code: str, message: str):
    """Render an error as JSON or as the Arabic error page."""
    if wants_json():
        return jsonify(error_body(code, message)), status
    return render_template("error.html", status=status, code=code, message=message), status


def init_app(app: Flask) -> None:
    """Register the handlers that turn every failure into a clear answer (never a traceback)."""

    @app.errorhandler(SearchError)
    def handle_search_error(exc: SearchError):
        return render_error(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return render_error(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unexpected error on %s", request.path)
        return render_error(500, "internal_error", "the server failed to answer; the error was logged")
