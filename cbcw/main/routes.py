from flask import Blueprint
from sqlalchemy import text

from cbcw.extensions import db
from cbcw.scheduler import leases

bp = Blueprint("main", __name__)


# `/` (endpoint main.index) is the dashboard: cbcw/dashboard/routes.py.


@bp.get("/healthz")
def healthz():
    """For load balancers: the app answers and the database is reachable.

    `scheduler_heartbeat_age` (seconds, or null) tells monitoring whether a `flask scheduler`
    process is alive; it does not make the web node unhealthy.
    """
    try:
        db.session.execute(text("SELECT 1"))
        heartbeat_age = leases.heartbeat_age()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "scheduler_heartbeat_age": None if heartbeat_age is None else round(heartbeat_age)}
