"""Fahras's web service: the Arabic search page and its JSON twin, served by gunicorn.

``create_app(test_config=None)`` is the one factory: settings flow from ``web.config.DEFAULTS`` to
``FAHRAS_*`` environment variables to the test mapping. Run with ``gunicorn "web:create_app()"``.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from search import open_holder, warm_up
from web import commands, errors, views
from web.config import DEFAULTS


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Create the Flask app: settings, the live index holder, routes, error handlers, commands."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("FAHRAS")
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    app.extensions["fahras"] = open_holder(
        str(app.config["BACKEND"]), str(app.config["INDEX_DIR"]), str(app.config["SPHINX"]),
        int(app.config["CACHE_SIZE"]),
    )
    warm_up(app.extensions["fahras"])
    app.register_blueprint(views.bp)
    errors.init_app(app)
    commands.init_app(app)
    return app
