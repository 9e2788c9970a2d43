"""`flask seed-demo` with the app served on a port and APP_BASE_URL pointing at it registers the
demo's callbacks in the simulator (its journal shows them), pointing at the served app."""
from cbcw.connectwise.callbacks.models import CallbackRegistration
from cbcw.extensions import db
from tests.cw_callbacks.test_end_to_end import served
from tests.fixtures.shared_database import close_shared_app, make_shared_app


def test_seed_demo_leaves_callback_registrations_in_the_simulator(shared_database_url, cw_sim):
    app = make_shared_app(shared_database_url, CW_CALLBACKS=True, CW_SIMULATOR_URL=cw_sim.base_url)
    try:
        with served(app) as url:
            app.config["APP_BASE_URL"] = url
            with app.app_context():
                result = app.test_cli_runner().invoke(args=["seed-demo"])
                db.session.remove()
            assert result.exit_code == 0, result.output
            assert "ConnectWise callbacks: 4 registered" in result.output
            posts = [e["json"] for e in cw_sim.journal() if e["method"] == "POST" and e["path"].endswith("/system/callbacks")]
            # Two demo companies allow every board: one Owner callback covers their tickets.
            assert sorted((p["type"], p["level"], p["objectId"]) for p in posts) == [
                ("configuration", "company", 101), ("configuration", "company", 102), ("configuration", "company", 103),
                ("ticket", "owner", 1)]
            assert all(p["url"].startswith(url + "/connectwise/callbacks/") for p in posts)
            with app.app_context():
                assert db.session.query(CallbackRegistration).count() == len(posts)
                db.session.remove()
    finally:
        close_shared_app(app)
