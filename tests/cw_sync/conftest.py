"""An organisation mapped to the simulator's demo companies and types, and ways to run syncs."""
import threading
from dataclasses import dataclass, field

import pytest
from flask import Response
from werkzeug.serving import make_server

from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping
from cw_simulator import create_simulator_app
from cw_simulator.refs import API_ROOT
from cbcw.connectwise.sync import runner, runs
from cbcw.devices.models import DeviceType
from cbcw.organisations.models import Company
from tests.cw_settings.conftest import cw_settings, settings_url  # noqa: F401  (shared fixtures)

CW_COMPANIES = {101: "Acme Manufacturing", 102: "Bluewater Dental", 103: "Northwind Logistics"}
CW_TYPES = {1: "Server", 2: "Network Switch", 3: "Workstation", 4: "Firewall", 5: None}  # 5: Printer, unmapped
CONFIGURATIONS = "/company/configurations"


@pytest.fixture
def mapped(db, org, cw_settings, company):
    """Companies (Acme is the `company` fixture) and device types mapped like the demo:
    {"companies": {cw id: Company}, "types": {name: DeviceType}}."""
    companies = {cw_id: company if name == company.name else Company(organisation_id=org.id, name=name)
                 for cw_id, name in CW_COMPANIES.items()}
    types = {name: DeviceType(organisation_id=org.id, name=name) for name in CW_TYPES.values() if name}
    db.session.add_all([*companies.values(), *types.values()])
    db.session.flush()
    for cw_id, company in companies.items():
        db.session.add(CompanyMapping(organisation_id=org.id, company_id=company.id, cw_company_id=cw_id,
                                      cw_company_identifier=str(cw_id), cw_company_name=company.name))
    for cw_type_id, name in CW_TYPES.items():
        db.session.add(ConfigurationTypeMapping(organisation_id=org.id, cw_type_id=cw_type_id,
                                                cw_type_name=name or "Printer",
                                                device_type_id=types[name].id if name else None))
    db.session.commit()
    return {"companies": companies, "types": types}


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    """Background clients retry without really waiting."""
    real = runner.client_for

    def quick(settings, interactive=True):
        client = real(settings, interactive=interactive)
        client.retry.sleep = lambda seconds: None
        return client

    monkeypatch.setattr(runner, "client_for", quick)


@pytest.fixture
def sync(app, org):
    """Run one sync of the organisation in this process, as `flask sync-configs` does."""

    def run(full=False, page_size=1000, organisation=None):
        app.config["CW_SYNC_PAGE_SIZE"] = page_size
        requested = runs.request_run((organisation or org).id, "cli", full=full, start_now=True)
        return runner.execute(requested.id)

    return run


@dataclass
class ScriptedSimulator:
    """A simulator of its own whose configuration list requests can fail or delete records."""

    root_url: str
    store: object
    fail_pages: set = field(default_factory=set)
    delete_after_page: dict = field(default_factory=dict)  # page number -> ids deleted once it is served
    pages_served: int = 0

    @property
    def base_url(self):
        return self.root_url + API_ROOT


@pytest.fixture
def scripted_sim(db, cw_settings):
    """The organisation's settings pointed at a ScriptedSimulator on a loopback socket."""
    sim_app = create_simulator_app()
    server = make_server("127.0.0.1", 0, sim_app, threaded=True)
    script = ScriptedSimulator(f"http://127.0.0.1:{server.server_port}", sim_app.extensions["cw_sim"].store)

    @sim_app.before_request
    def maybe_fail():
        from flask import request
        if request.method == "GET" and request.path == API_ROOT + CONFIGURATIONS:
            script.pages_served += 1
            if script.pages_served in script.fail_pages:
                return Response('{"code": "ServerError", "message": "boom"}', 500, mimetype="application/json")
        return None

    @sim_app.after_request
    def maybe_delete(response):
        from flask import request
        if request.method == "GET" and request.path == API_ROOT + CONFIGURATIONS:
            with script.store.lock:
                for config_id in script.delete_after_page.pop(script.pages_served, ()):
                    script.store.delete("configurations", config_id)
        return response

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    cw_settings.base_url = script.base_url
    db.session.commit()
    yield script
    server.shutdown()
    thread.join(5)
