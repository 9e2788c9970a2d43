"""`/_sim/*`: test controls (faults, journal, reset). No auth, by design: loopback tooling only."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from cw_simulator.faults import FaultSettings
from cw_simulator.security import parse_denials

bp = Blueprint("cw_sim_control", __name__, url_prefix="/_sim")


def sim():
    return current_app.extensions["cw_sim"]


@bp.get("/faults")
def show_faults():
    return jsonify(sim().faults.describe())


@bp.post("/faults")
def set_faults():
    try:
        settings = FaultSettings.from_json(request.get_json(force=True) or {})
    except (TypeError, ValueError, AttributeError) as exc:
        return jsonify({"code": "InvalidObject", "message": f"Bad fault settings: {exc}", "errors": None}), 400
    sim().faults.set(settings)
    return jsonify(sim().faults.describe())


@bp.delete("/faults")
def clear_faults():
    sim().faults.clear()
    return "", 204


@bp.post("/security-role")
def set_security_role():
    """`{"deny": ["POST /time/entries", …]}`: the API member's role refuses those; `{}` restores it."""
    try:
        sim().denied = parse_denials(request.get_json(force=True, silent=True))
    except ValueError as exc:
        return jsonify({"code": "InvalidObject", "message": f"Bad security role: {exc}", "errors": None}), 400
    return jsonify({"deny": sorted(f"{method} {path}" for method, path in sim().denied)})


@bp.get("/journal")
def show_journal():
    return jsonify(sim().journal.list())


@bp.delete("/journal")
def clear_journal():
    sim().journal.clear()
    return "", 204


@bp.get("/callbacks")
def show_callbacks_sent():
    """Every callback the simulator posted: url, last status and attempts, oldest first."""
    return jsonify(sim().callbacks.history())


@bp.post("/reset")
def reset():
    """Seed data, faults and journal back to their starting state."""
    sim().reset()
    return "", 204
