from flask import Blueprint, render_template

from cbcw.accounts.permissions import settings_required

bp = Blueprint("organisations", __name__)


@bp.get("/settings/companies")
@settings_required
def companies():
    return render_template("base.html")
