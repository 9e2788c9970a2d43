"""`create_simulator_app`: a standalone Flask app; it never imports the product's app or models."""
from __future__ import annotations

import json
import time

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from cw_simulator.api import bp as api_bp
from cw_simulator.api import json_response
from cw_simulator.callbacks import CallbackSender, keys_bp
from cw_simulator.control import bp as control_bp
from cw_simulator.cw_errors import ApiError
from cw_simulator.faults import Faults, Journal
from cw_simulator.pages import bp as pages_bp
from cw_simulator.refs import API_ROOT
from cw_simulator.seed import build_seed
from cw_simulator.store import Store


class Simulator:
    """The state behind one simulator app: records, faults and the journal."""

    def __init__(self, seed: int, scale: int, credentials: dict | None):
        self.seed_data = build_seed(seed=seed, scale=scale)
        if credentials:
            self.seed_data["credentials"].update(credentials)
        self.store = Store(self.seed_data)
        self.callbacks = CallbackSender(self.store, self.seed_data["credentials"]["company_id"])
        self.store.on_change = self.callbacks.changed
        self.faults = Faults(seed)
        self.journal = Journal()
        self.denied: frozenset = frozenset()  # the API member's role refuses these (security.py)

    def reset(self) -> None:
        self.store.load(self.seed_data)
        self.faults.clear()
        self.journal.clear()
        self.callbacks.clear()
        self.denied = frozenset()


def create_simulator_app(seed: int = 1, scale: int = 200, credentials: dict | None = None) -> Flask:
    """`credentials` may override `company_id`, `public_key`, `private_key`."""
    app = Flask(__name__)
    app.extensions["cw_sim"] = Simulator(seed, scale, credentials)
    for blueprint in (api_bp, control_bp, pages_bp, keys_bp):
        app.register_blueprint(blueprint)

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        if error.html is not None:
            return app.response_class(error.html, status=error.status, mimetype="text/html", headers=error.headers)
        return json_response(json.dumps(error.body), error.status, error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not request.path.startswith(API_ROOT):
            return error
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(error.code, "Error")
        return json_response(json.dumps({"code": code, "message": error.description, "errors": None}), error.code)

    @app.before_request
    def start_clock():
        g.started = time.monotonic()

    @app.after_request
    def journal(response):
        if request.path.startswith(API_ROOT):
            if response.status_code < 400:
                app.extensions["cw_sim"].faults.hold_answer(request.method, request.path)
            app.extensions["cw_sim"].journal.record({
                "method": request.method, "path": request.path, "query": request.args.to_dict(),
                "json": request.get_json(silent=True),
                "status": None if g.get("connection_reset") else response.status_code,
                "ms": round((time.monotonic() - g.started) * 1000, 1)})
        return response

    return app
