from flask import Blueprint, redirect, url_for
from sqlalchemy import text

from cbcw.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return redirect(url_for("changes.list_changes"))


@bp.get("/healthz")
def healthz():
    """For load balancers: the app answers and the database is reachable."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok"}
