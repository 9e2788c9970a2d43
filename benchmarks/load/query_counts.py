"""SQL statements per page against the soak's database, to compare two data sizes (no N+1).

Run by `soak.py` with the app's environment (`.run/soak/app.env` and the secrets), before and
after `seed-demo --scale N`: `python -m benchmarks.load.query_counts`. Each page is requested
through the app's test client as a logged-in engineer, once to warm up and once counted (the
way `tests/changes/test_statement_counts.py` counts), and the counts (with the statements under
"sql") are printed as JSON. The
ticket widget and typeahead are left out: they ask ConnectWise, not (only) the database.
"""
import json
import re
import sys

from sqlalchemy import func, select

from app import create_app
from cbcw.changes.models import Change
from cbcw.devices.models import Device
from cbcw.extensions import db
from tests.helpers.statements import count_statements

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pages(change_id: int, device_id: int) -> dict[str, tuple[str, dict]]:
    htmx = {"HX-Request": "true"}
    return {
        "list: first page": ("/changes", {}),
        "list: state filter": ("/changes?state=completed", {}),
        "list: search": ("/changes?q=Patch", {}),
        "list: awaiting my approval": ("/changes?mine=approval", {}),
        "detail: overview": (f"/changes/{change_id}", {}),
        "detail: timeline tab": (f"/changes/{change_id}?tab=timeline", {**htmx, "HX-Target": "change-tabs"}),
        "detail: timeline page": (f"/changes/{change_id}?tab=timeline", {}),
        "devices: list": ("/devices", {}),
        "devices: detail": (f"/devices/{device_id}", {}),
    }


def main() -> None:
    app = create_app()
    with app.app_context():
        # The same records at both sizes: the first completed demo change and the first demo device.
        change_id = db.session.scalar(select(Change.id).where(Change.state == "completed").order_by(Change.id))
        device_id = db.session.scalar(select(Device.id).order_by(Device.id))
        sizes = {"changes in the database": db.session.scalar(select(func.count(Change.id))),
                 "devices in the database": db.session.scalar(select(func.count(Device.id))),
                 "devices synced from ConnectWise": db.session.scalar(
                     select(func.count(Device.id)).where(Device.external_source == "connectwise"))}
        engine = db.engine
    # Requests run outside that context, each in its own as in production: a fresh session and
    # no user cached in `g`, so every lazy load and the user's own load are counted.
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"csrf_token": token, "email": "engineer@demo.test",
                                         "password": "changebreeze"})
    if answer.status_code != 302:
        sys.exit(f"login failed: HTTP {answer.status_code}")
    counts, listing = {}, []
    for name, (url, headers) in pages(change_id, device_id).items():
        client.get(url, headers=headers)  # warm-up: first-request work must not count
        with count_statements(engine) as statements:
            response = client.get(url, headers=headers)
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code}")
        counts[name] = len(statements)
        listing += [f"== {name} ({len(statements)})", *statements]
    print(json.dumps({**counts, **sizes, "sql": listing}))


if __name__ == "__main__":
    main()
