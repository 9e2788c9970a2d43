"""An organisation wired to the simulator's Acme, with real commits, for tests that run the app
and its background work over real sockets (`shared_app`)."""
from __future__ import annotations

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping
from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company, Organisation
from tests.fixtures.cw_simulator import point_at_simulator

ACME = 101


def acme_organisation(cw_sim, name: str, email: str, password: str) -> dict:
    """In the caller's app context, committed: an organisation mapped to the simulator's Acme (its
    open ticket's board) and Server type, an admin, a change linked to that ticket, and the synced
    device of configuration 1001. Returns the ticket, the settings (pointing at the simulator) and
    the rows' ids."""
    ticket = cw_sim.raw("GET", "/service/tickets", params={
        "conditions": f"company/id={ACME} and closedFlag=false", "pageSize": 1}).json()[0]
    org = Organisation(name=name)
    db.session.add(org)
    db.session.flush()
    company, servers = Company(organisation_id=org.id, name="Acme"), DeviceType(organisation_id=org.id, name="Server")
    user = User(organisation_id=org.id, email=email, display_name="Lee", role="admin")
    user.set_password(password)
    db.session.add_all([company, servers, user])
    db.session.flush()
    db.session.add(CompanyMapping(organisation_id=org.id, company_id=company.id, cw_company_id=ACME,
                                  cw_company_identifier="AcmeMfg", cw_company_name="Acme Manufacturing",
                                  board_ids=[ticket["board"]["id"]], board_names=[ticket["board"]["name"]]))
    db.session.add(ConfigurationTypeMapping(organisation_id=org.id, cw_type_id=1, cw_type_name="Server",
                                            device_type_id=servers.id))
    org.change_counter += 1
    change = Change(organisation_id=org.id, number=org.change_counter, title="Swap the core switch",
                    company_id=company.id, created_by_id=user.id, linked_ticket_id=ticket["id"],
                    linked_ticket_system="connectwise", linked_ticket_status=ticket["status"]["name"])
    device = Device(organisation_id=org.id, company_id=company.id, device_type_id=servers.id, hostname="acme-dc01",
                    external_source="connectwise", external_id="1001", external_name="acme-dc01",
                    external_type_id="1")
    db.session.add_all([change, device])
    settings = get_settings(org.id)
    point_at_simulator(settings, cw_sim)
    db.session.commit()
    return {"ticket": ticket, "settings": settings, "organisation_id": org.id, "company_id": company.id,
            "device_type_id": servers.id, "user_id": user.id, "change_id": change.id, "device_id": device.id}
