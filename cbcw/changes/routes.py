from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("changes", __name__)


@bp.get("/changes")
@login_required
def list_changes():
    return render_template("base.html")
