"""Configuration sync against the simulator over a loopback socket (PRODUCT §3.3)."""
import pytest
import requests
from sqlalchemy import select

from cbcw.changes.models import ChangeDevice
from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping, MemberMatch
from cbcw.connectwise.sync import runs
from cbcw.devices.hostnames import normalise_hostname
from cbcw.connectwise.sync.models import SyncRun
from cbcw.devices.models import Device
from tests.cw_sync.conftest import CONFIGURATIONS


def all_configurations(sim):
    """Every configuration the simulator holds, read directly."""
    return sim.raw("GET", CONFIGURATIONS, params={"pageSize": 1000}).json()


def synced(db, org):
    return {d.external_id: d for d in db.session.scalars(
        select(Device).where(Device.organisation_id == org.id, Device.external_source == "connectwise"))}


def counts(run):
    return {name: getattr(run, name) for name in ("created", "updated", "unchanged", "skipped", "deactivated")}


def test_first_run_imports_mapped_types_for_mapped_companies(db, org, cw_sim, mapped, sync):
    """The first run creates one device per active configuration of a mapped type, with its attributes."""
    configurations = all_configurations(cw_sim)
    importable = [c for c in configurations if c["type"]["id"] != 5 and c["activeFlag"]]
    run = sync()
    assert run.status == "succeeded" and run.full and run.error is None
    assert run.created == len(importable) and run.updated == run.deactivated == 0
    assert run.skipped == len(configurations) - len(importable)
    assert run.skip_reasons == {"inactive in ConnectWise (not imported)": sum(
        1 for c in configurations if c["type"]["id"] != 5 and not c["activeFlag"]),
        "type not mapped: Printer": sum(1 for c in configurations if c["type"]["id"] == 5)}
    devices = synced(db, org)
    dc01 = next(c for c in configurations if c["name"] == "acme-dc01")
    device = devices[str(dc01["id"])]
    assert device.hostname == "acme-dc01" and device.device_type.name == "Server"
    assert device.company.name == "Acme Manufacturing" and device.active
    assert device.attributes["serial"] == dc01["serialNumber"] and device.attributes["ip"] == dc01["ipAddress"]
    assert device.attributes["os"] == "Windows Server 2022" and device.attributes["status"] == "Active"


def test_rerun_changes_nothing(db, org, cw_sim, mapped, sync):
    """A second run, incremental or full, creates and updates nothing when ConnectWise did not change."""
    first = sync()
    before = {d.id: (d.hostname, d.updated_at) for d in synced(db, org).values()}
    incremental = sync()
    assert not incremental.full and counts(incremental) == dict.fromkeys(counts(incremental), 0)
    full = sync(full=True)
    assert full.unchanged == first.created and full.created == full.updated == full.deactivated == 0
    db.session.expire_all()
    assert {d.id: (d.hostname, d.updated_at) for d in synced(db, org).values()} == before


def test_incremental_run_sends_last_updated_and_fetches_only_changed(db, org, cw_sim, mapped, sync):
    """After a success, the next run asks for `_info/lastUpdated > [..]` and sees only the changed record."""
    sync()
    requests.delete(f"{cw_sim.root_url}/_sim/journal", timeout=5)
    cw_sim.raw("PATCH", f"{CONFIGURATIONS}/1001", json=[{"op": "replace", "path": "serialNumber", "value": "NEW-1"}])
    run = sync()
    lists = [e for e in cw_sim.journal() if e["path"].endswith(CONFIGURATIONS) and e["method"] == "GET"]
    assert len(lists) == 1 and "_info/lastUpdated > [" in lists[0]["query"]["conditions"]
    assert run.records_processed == 1 and run.updated == 1
    assert synced(db, org)["1001"].attributes["serial"] == "NEW-1"


def test_incremental_run_with_nothing_changed_makes_two_requests_at_most(db, org, cw_sim, mapped, make_user, sync):
    """Nothing changed: one empty configuration page and the member refresh, no more."""
    make_user(email="admin@demo.test")
    sync()
    requests.delete(f"{cw_sim.root_url}/_sim/journal", timeout=5)
    sync()
    assert len(cw_sim.journal()) <= 2


def test_rename_updates_the_same_device(db, org, cw_sim, mapped, sync, make_change):
    """A renamed configuration renames its device (same row, links kept) instead of adding one."""
    sync()
    device = synced(db, org)["1001"]
    change = make_change()
    db.session.add(ChangeDevice(organisation_id=org.id, change_id=change.id, device_id=device.id, mention="acme-dc01"))
    db.session.commit()
    cw_sim.raw("PATCH", f"{CONFIGURATIONS}/1001", json=[{"op": "replace", "path": "name", "value": "ACME DC 01 New"}])
    run = sync()
    assert run.updated == 1 and run.created == 0
    renamed = db.session.get(Device, device.id)
    assert renamed.hostname == "acme-dc-01-new" and renamed.external_name == "ACME DC 01 New"
    assert db.session.scalar(select(ChangeDevice.device_id).where(ChangeDevice.change_id == change.id)) == device.id


def test_type_unmapped_later_stops_importing_new_ones(db, org, cw_sim, mapped, sync):
    """Unmapping a type keeps its devices but imports no new configuration of that type."""
    sync()
    db.session.execute(ConfigurationTypeMapping.__table__.update()
                       .where(ConfigurationTypeMapping.cw_type_id == 1).values(device_type_id=None))
    db.session.commit()
    created = cw_sim.raw("POST", CONFIGURATIONS, json={"name": "acme-new-srv", "type": {"id": 1},
                                                        "company": {"id": 101}}).json()
    run = sync()
    devices = synced(db, org)
    assert str(created["id"]) not in devices and run.created == 0
    assert devices["1001"].active  # the existing Server device stays as it was


def test_inactive_configuration_deactivates_its_device(db, org, cw_sim, mapped, sync):
    """A configuration made inactive marks its device inactive (never deleted)."""
    sync()
    cw_sim.raw("PATCH", f"{CONFIGURATIONS}/1002", json=[{"op": "replace", "path": "activeFlag", "value": False}])
    run = sync()
    assert run.deactivated == 1 and not synced(db, org)["1002"].active


def test_deleted_configuration_is_deactivated_by_a_full_run(db, org, cw_sim, mapped, sync):
    """A configuration deleted in ConnectWise deactivates its device on the next full run, keeping the row."""
    sync()
    assert cw_sim.raw("DELETE", f"{CONFIGURATIONS}/1003").status_code == 204
    assert sync().deactivated == 0  # incremental runs cannot see deletions
    run = sync(full=True)
    assert run.deactivated == 1
    device = synced(db, org)["1003"]
    assert device is not None and not device.active


def test_unmapped_company_is_never_fetched_and_counted_as_skipped(db, org, cw_sim, mapped, sync):
    """ConnectWise is asked for the mapped companies' configurations only (`company/id in (…)`); one
    count says how many other companies' configurations were left out."""
    db.session.delete(db.session.scalar(select(CompanyMapping).where(CompanyMapping.company_id == mapped["companies"][103].id)))
    db.session.commit()
    northwind = [c for c in all_configurations(cw_sim) if c["company"]["id"] == 103 and c["type"]["id"] != 5]
    cw_sim.clear_journal()
    run = sync()
    assert run.skip_reasons["company not mapped (other ConnectWise companies)"] == len(northwind)
    assert not any(d.company_id == mapped["companies"][103].id for d in synced(db, org).values())
    listings = [e for e in cw_sim.journal() if e["path"].endswith("/company/configurations")]
    assert listings and all("company/id in (101,102)" in e["query"]["conditions"] for e in listings)


def test_failure_on_page_three_leaves_consistent_data_and_next_run_completes(db, org, scripted_sim, mapped, sync):
    """ConnectWise failing on page 3: pages 1-2 are committed whole, the run fails, the next run finishes."""
    scripted_sim.fail_pages = {3, 4, 5, 6, 7, 8}  # every retry of page 3 fails too
    failed = sync(page_size=50)
    assert failed.status == "failed" and "ConnectWise" in failed.error and failed.pages_fetched == 2
    devices = synced(db, org)
    assert 0 < len(devices) <= 100 and all(d.hostname and d.device_type_id and d.company_id for d in devices.values())
    scripted_sim.fail_pages = set()
    retried = sync(page_size=50)
    assert retried.status == "succeeded" and retried.full
    assert len(synced(db, org)) == failed.created + retried.created
    assert retried.unchanged == failed.created


def test_records_deleted_between_pages_skip_nothing(db, org, scripted_sim, mapped, sync):
    """Records deleted while the sync pages never push another record past a page boundary."""
    first_page_ids = list(range(1001, 1011))
    scripted_sim.delete_after_page = {1: first_page_ids}
    run = sync(page_size=50)
    remaining = [c for c in scripted_sim.store.all("configurations") if c["type"]["id"] != 5 and c["activeFlag"]]
    devices = synced(db, org)
    assert {str(c["id"]) for c in remaining} - set(devices) == set()
    assert run.created == len(remaining) + sum(1 for i in first_page_ids if str(i) in devices)


def test_name_collision_gets_a_predictable_suffix_and_is_shown(db, org, cw_sim, mapped, sync):
    """Two configurations of one company normalising to the same hostname: the later one gets "-2"."""
    cw_sim.raw("PATCH", f"{CONFIGURATIONS}/1002", json=[{"op": "replace", "path": "name", "value": "ACME DC01"}])
    run = sync()
    devices = synced(db, org)
    assert devices["1001"].hostname == "acme-dc01" and devices["1002"].hostname == "acme-dc01-2"
    assert devices["1002"].renamed_from_source and not devices["1001"].renamed_from_source
    assert {"name": "ACME DC01", "hostname": "acme-dc01-2", "taken": "acme-dc01",
            "company_id": mapped["companies"][101].id} in run.renamed


def test_moved_configuration_gets_a_hostname_free_in_its_new_company(db, org, cw_sim, mapped, sync, make_device):
    """A configuration moved to a company where another device already has its hostname gets the
    next free suffix there; the other company's name it left is free again."""
    sync()
    bluewater = mapped["companies"][102]
    manual = make_device("ACME-DC01", company=bluewater)
    cw_sim.raw("PATCH", f"{CONFIGURATIONS}/1001", json=[{"op": "replace", "path": "company", "value": {"id": 102}}])
    run = sync()
    moved = synced(db, org)["1001"]
    assert moved.company_id == bluewater.id and moved.hostname == "acme-dc01-2"
    assert db.session.get(Device, manual.id).hostname == "ACME-DC01"
    assert {"name": "acme-dc01", "hostname": "acme-dc01-2", "taken": "acme-dc01",
            "company_id": bluewater.id} in run.renamed
    cw_sim.raw("PATCH", f"{CONFIGURATIONS}/1001", json=[{"op": "replace", "path": "company", "value": {"id": 101}}])
    sync()
    assert synced(db, org)["1001"].hostname == "acme-dc01"


def test_hostname_freed_by_a_rename_goes_to_a_configuration_of_the_same_sync(db, org, cw_sim, mapped, sync):
    """Renaming a configuration frees its old hostname at once: a configuration created with that
    name, fetched in the same page, gets it without a suffix."""
    sync()
    cw_sim.raw("PATCH", f"{CONFIGURATIONS}/1001", json=[{"op": "replace", "path": "name", "value": "acme-dc01-old"}])
    created = cw_sim.raw("POST", CONFIGURATIONS, json={"name": "acme-dc01", "type": {"id": 1},
                                                        "company": {"id": 101}}).json()
    run = sync()
    devices = synced(db, org)
    assert devices["1001"].hostname == "acme-dc01-old"
    assert devices[str(created["id"])].hostname == "acme-dc01" and run.renamed == []


def test_hand_made_device_is_adopted_not_duplicated(db, org, cw_sim, mapped, sync, make_device):
    """A device typed in by hand with the configuration's hostname and company becomes the synced device."""
    manual = make_device("ACME-DC01", company=mapped["companies"][101], attributes={"role": "domain controller"})
    sync()
    device = db.session.get(Device, manual.id)
    assert device.external_id == "1001" and device.hostname == "acme-dc01"
    assert device.attributes["role"] == "domain controller" and "serial" in device.attributes
    assert len([d for d in synced(db, org).values() if d.hostname == "acme-dc01"]) == 1


def test_sync_refreshes_member_matches(db, org, cw_sim, mapped, make_user, sync):
    """The sync re-matches users to ConnectWise members by email (PRODUCT §3.10)."""
    user = make_user(email="engineer@demo.test")
    run = sync()
    match = db.session.scalar(select(MemberMatch).where(MemberMatch.user_id == user.id))
    assert run.members_matched == 1 and match.cw_member_identifier == "eengineer"


def test_two_syncs_of_one_organisation_cannot_run_at_once(db, org, mapped):
    """A second request while one is queued or running is refused by the database guard."""
    runs.request_run(org.id, "manual")
    with pytest.raises(runs.SyncBusy):
        runs.request_run(org.id, "cli", start_now=True)
    assert db.session.query(SyncRun).count() == 1


def test_interrupted_run_no_longer_blocks(db, org, mapped):
    """A run whose heartbeat stopped long ago is marked failed and a new one may start."""
    stuck = runs.request_run(org.id, "manual")
    stuck.heartbeat_at = stuck.heartbeat_at - runs.STALE_AFTER * 2
    db.session.commit()
    fresh = runs.request_run(org.id, "manual")
    db.session.refresh(stuck)
    assert stuck.status == "failed" and "Interrupted" in stuck.error and fresh.status == "queued"


def test_nothing_mapped_fails_with_a_clear_message(db, org, cw_settings, sync):
    """Without a mapped type the run fails saying what to map."""
    run = sync()
    assert run.status == "failed" and "map at least one type" in run.error


@pytest.mark.parametrize("name, expected", [
    ("SRV 01", "srv-01"), ("  Bob's  PC ", "bob-s-pc"), ("web_01.acme.local", "web_01.acme.local"),
    ("---", "config-7"), ("Ünïcode Box", "n-code-box"), ("x" * 300, "x" * 120),
])
def test_hostnames_are_mentionable(name, expected):
    """Names become lower case with spaces and other unmentionable characters as "-"."""
    assert normalise_hostname(name, "config-7") == expected
