"""Every client method against the live simulator over loopback."""
from datetime import datetime, timezone

import pytest

from cbcw.connectwise.api import errors
from cbcw.connectwise.api.endpoints.bodies import replace
from cbcw.connectwise.api.endpoints.service import ticket_resource_identifiers
from cbcw.connectwise.api.conditions import C

AWKWARD = "O'Brien \"Quoted\" & Sons (50% + more)*"


def test_system_info_reports_version(cw_client):
    """Test Connection reads the server version."""
    assert cw_client.system_info()["version"].startswith("v2025")


def test_wrong_keys_raise_authentication_error(cw_sim, make_cw_client):
    """A wrong private key is a 401 AuthenticationError."""
    with pytest.raises(errors.AuthenticationError):
        make_cw_client(cw_sim.base_url, private_key="wrong").system_info()


def test_company_with_awkward_characters_is_found_exactly(cw_client):
    """Quotes, &, %, +, * and brackets in a name are matched literally."""
    assert [c["name"] for c in cw_client.search_companies(AWKWARD)] == [AWKWARD]
    assert [c["identifier"] for c in cw_client.search_companies("[Legal]")] == ["Litware"]


def test_star_is_not_a_wildcard_in_company_search(cw_client):
    """`Ac*e` finds nothing although `like` would match Acme; `Acme*Star` finds only the literal name."""
    assert cw_client.search_companies("Ac*e") == []
    assert [c["identifier"] for c in cw_client.search_companies("Acme*Star")] == ["AcmeStar"]


def test_company_search_skips_deleted_companies(cw_client):
    """deletedFlag=true companies are never offered."""
    assert {c["identifier"] for c in cw_client.search_companies("acme")} == {"AcmeMfg", "AcmeStar"}
    assert cw_client.get_company(101)["identifier"] == "AcmeMfg"


def test_boards_and_per_board_statuses(cw_client):
    """Service boards only; Help Desk lacks Awaiting CAB; ids differ per board."""
    assert [b["name"] for b in cw_client.list_boards()] == ["Service Board", "Change Management", "Help Desk"]
    assert cw_client.find_board_status(3, "Awaiting CAB") is None
    assert cw_client.find_board_status(1, "change linked")["id"] == 102
    assert cw_client.find_board_status(2, "Change Linked")["id"] == 202
    assert all(not s["inactive"] for s in cw_client.list_board_statuses(1))
    assert len(cw_client.list_board_statuses(1, include_inactive=True)) == 9


def test_ticket_search_by_words_number_company_and_boards(cw_client):
    """Open tickets of the company only, on the chosen boards, by words or number."""
    found = cw_client.search_tickets("firewall UPGRADE", company_id=101)
    assert found and all(t["company"]["id"] == 101 and not t["closedFlag"] for t in found)
    assert all("firewall" in t["summary"].lower() for t in found)
    by_board = {b: cw_client.search_tickets("firewall upgrade", company_id=101, board_ids=[b]) for b in (1, 2, 3)}
    assert all(t["board"]["id"] == b for b, tickets in by_board.items() for t in tickets)
    assert sorted(t["id"] for tickets in by_board.values() for t in tickets) == sorted(t["id"] for t in found)
    assert [t["id"] for t in cw_client.search_tickets("5001", company_id=101)] == [5001]
    assert cw_client.search_tickets("5001", company_id=102) == []
    assert cw_client.search_tickets("5007", company_id=101) == []  # closed


def test_ticket_search_with_awkward_summary(cw_client):
    """A summary with quotes, &, %, + and * is found by its literal words."""
    found = cw_client.search_tickets('"edge" router & VPN (50% + more)*', company_id=102)
    assert [t["summary"] for t in found] == ['Upgrade "edge" router & VPN (50% + more)*'] * len(found) and found


def test_status_change_to_closed_status_sets_closed_flag(cw_client):
    """PATCH status by id; a closed status closes the ticket and moves lastUpdated."""
    before = cw_client.get_ticket(5001)
    ticket = cw_client.set_ticket_status(5001, cw_client.find_board_status(1, "Resolved")["id"])
    assert ticket["status"]["name"] == "Resolved" and ticket["closedFlag"] is True
    assert ticket["_info"]["lastUpdated"] > before["_info"]["lastUpdated"]


def test_status_from_another_board_is_refused(cw_client):
    """A status id of a different board is a ValidationFailed."""
    with pytest.raises(errors.ValidationFailed):
        cw_client.set_ticket_status(5001, 202)


def test_get_missing_ticket_raises_not_found(cw_client):
    """A deleted/unknown ticket is NotFound."""
    with pytest.raises(errors.NotFound):
        cw_client.get_ticket(99999)


def test_notes_create_list_and_patch(cw_client):
    """An internal silent note is created, listed, then its text patched."""
    note = cw_client.create_ticket_note(5002, "CHG-1 created")
    assert note["internalAnalysisFlag"] and not note["detailDescriptionFlag"] and not note["processNotifications"]
    notes = cw_client.list_ticket_notes(5002)
    assert [n["text"] for n in notes][-1] == "CHG-1 created"
    detail = cw_client.list_ticket_notes(5002, C.eq("detailDescriptionFlag", True))[0]
    patched = cw_client.patch_ticket_note(5002, detail["id"], [replace("text", "new text")])
    assert patched["text"] == "new text"


def test_members_matched_by_office_or_primary_email_in_one_request(cw_sim, cw_client):
    """Case-insensitive office/primary match; inactive, API and unmatched users are absent."""
    emails = ["admin@demo.test", "msp@demo.test", "engineer@demo.test", "TECH.APPROVER@demo.test",
              "ops.approver@demo.test", "vcab1@demo.test", "vcab2@demo.test", "vcab3@demo.test", "viewer@demo.test"]
    matches = cw_client.find_members_by_emails(emails)
    assert {email: m["identifier"] for email, m in matches.items()} == {
        "admin@demo.test": "aadmin", "engineer@demo.test": "eengineer", "tech.approver@demo.test": "ttech",
        "ops.approver@demo.test": "oops", "vcab1@demo.test": "vcab1", "vcab2@demo.test": "vcab2",
        "vcab3@demo.test": "vcab3"}
    assert [e["path"].rsplit("/", 1)[-1] for e in cw_sim.journal()] == ["members"]
    assert "changebreeze" not in {m["identifier"] for m in cw_client.list_members()}


def test_schedule_entries_make_members_ticket_resources(cw_client):
    """Type-S entries (dated or not) add the member to Ticket.resources; updates keep one entry."""
    entry = cw_client.create_schedule_entry(5003, 153)
    assert entry["type"]["identifier"] == "S" and "dateStart" not in entry
    start, end = datetime(2025, 3, 1, 14, tzinfo=timezone.utc), datetime(2025, 3, 1, 15, tzinfo=timezone.utc)
    cw_client.create_schedule_entry(5003, 154, start=start, end=end, name="CHG-1 implementation")
    assert ticket_resource_identifiers(cw_client.get_ticket(5003)) == ["eengineer", "ttech"]
    updated = cw_client.update_schedule_entry(entry["id"], [replace("dateStart", "2025-03-02T09:00:00Z")])
    assert updated["dateStart"] == "2025-03-02T09:00:00Z"
    assert [e["member"]["identifier"] for e in cw_client.list_ticket_schedule_entries(5003)] == ["eengineer", "ttech"]


def test_configuration_types_and_incremental_configurations(cw_client):
    """Configurations filter by types and companies, and by lastUpdated since a moment."""
    types = {t["name"]: t["id"] for t in cw_client.list_configuration_types()}
    assert {"Server", "Network Switch", "Workstation", "Firewall", "Printer"} <= set(types)
    servers = [c for page in cw_client.iter_configuration_pages([types["Server"]], [101]) for c in page]
    assert {"acme-dc01", "acme-dc02"} <= {c["name"] for c in servers}
    assert cw_client.count_configurations([types["Server"]], [101]) == len(servers)
    all_configs = [c for page in cw_client.iter_configuration_pages(types.values(), [101, 102, 103]) for c in page]
    assert any(not c["activeFlag"] for c in all_configs)
    since = datetime.fromisoformat(all_configs[-5]["_info"]["lastUpdated"].replace("Z", "+00:00"))
    changed = [c for page in cw_client.iter_configuration_pages(types.values(), [101, 102, 103], since=since)
               for c in page]
    assert len(changed) == 4


def test_forward_only_pages_by_id_and_stops_on_a_short_page(cw_sim, cw_client):
    """Forward-only paging sends the header, no orderBy, `pageId` = last id, and stops on a short page."""
    pages = list(cw_client.iter_configuration_pages([1, 2, 3, 4, 5], [101, 102, 103], page_size=60))
    ids = [c["id"] for page in pages for c in page]
    assert [len(p) for p in pages] == [60, 60, 60, 20] and ids == sorted(ids) and len(set(ids)) == 200
    journal = cw_sim.journal()
    assert len(journal) == 4 and all("orderBy" not in e["query"] and "page" not in e["query"] for e in journal)
    assert [e["query"].get("pageId") for e in journal] == [None, str(pages[0][-1]["id"]), str(pages[1][-1]["id"]),
                                                           str(pages[2][-1]["id"])]


def test_simulator_refuses_order_by_with_forward_only_paging(cw_sim):
    """The simulator, like ConnectWise, refuses orderBy under forward-only paging."""
    response = cw_sim.raw("GET", "/company/configurations", params={"orderBy": "id asc"},
                          headers={"pagination-type": "forward-only"})
    assert response.status_code == 400 and "orderBy" in response.text


def test_paging_follows_links_and_keeps_conditions(cw_sim, cw_client):
    """A 3-page listing yields every record, each page re-sending the conditions."""
    records = list(cw_client.iter_list("/service/tickets", C.eq("company/id", 101), page_size=7))
    assert len(records) == 17 and len({r["id"] for r in records}) == 17
    pages = cw_sim.journal()
    assert [p["query"]["page"] for p in pages] == ["1", "2", "3"]
    assert all(p["query"]["conditions"] == "company/id = 101" for p in pages)


def test_time_entry_created_on_ticket(cw_client):
    """Time is charged to the ticket as the member, with hours computed."""
    entry = cw_client.create_time_entry(5004, 153, datetime(2025, 3, 1, 14, tzinfo=timezone.utc),
                                        datetime(2025, 3, 1, 14, 30, tzinfo=timezone.utc), notes="Work done")
    assert entry["chargeToId"] == 5004 and entry["member"]["identifier"] == "eengineer" and entry["actualHours"] == 0.5


def test_time_entry_refused_when_status_forbids_time(cw_client):
    """A Cancelled ticket refuses time with a clear ValidationFailed."""
    board_id = cw_client.get_ticket(5004)["board"]["id"]
    cw_client.set_ticket_status(5004, cw_client.find_board_status(board_id, "Cancelled")["id"])
    with pytest.raises(errors.ValidationFailed, match="not allowed"):
        cw_client.create_time_entry(5004, 153, datetime(2025, 3, 1, 14, tzinfo=timezone.utc))


def test_get_retried_through_simulated_rate_limit(cw_sim, cw_client):
    """Two 429s then success: the GET succeeds on the third attempt."""
    cw_sim.faults(rate_limit={"count": 2, "retry_after": 1})
    assert cw_client.system_info()["version"]
    assert [e["status"] for e in cw_sim.journal()] == [429, 429, 200]


def test_post_not_retried_through_simulated_503(cw_sim, cw_client):
    """A POST answered 503 is sent once and raises Unavailable."""
    cw_sim.faults(error_count=1, error_status=503)
    with pytest.raises(errors.Unavailable):
        cw_client.create_ticket_note(5002, "x")
    assert len(cw_sim.journal()) == 1


def test_hang_becomes_timeout(cw_sim, make_cw_client):
    """A hanging server is a Timeout after the read timeout, retried then raised."""
    cw_sim.faults(hang=True)
    client = make_cw_client(cw_sim.base_url, read_timeout=0.2)
    with pytest.raises(errors.Timeout):
        client.system_info()


def test_connection_reset_becomes_unavailable(cw_sim, cw_client):
    """A connection closed without an answer is Unavailable (retryable)."""
    cw_sim.faults(reset=True)
    with pytest.raises(errors.Unavailable):
        cw_client.system_info()


def test_refused_connection_is_unavailable(make_cw_client):
    """Nothing listening on the port is Unavailable."""
    with pytest.raises(errors.Unavailable):
        make_cw_client("http://127.0.0.1:9/v4_6_release/apis/3.0").system_info()


def test_prefetched_listing_matches_plain_listing(cw_sim, cw_client):
    """With prefetch, a 4-page listing yields the same records in the same order, in 4 requests."""
    conditions = C.eq("activeFlag", True)
    plain = [c["id"] for c in cw_client.iter_list("/company/configurations", conditions, page_size=50)]
    before = len(cw_sim.journal())
    fetched = [c["id"] for c in cw_client.iter_list("/company/configurations", conditions, page_size=50, prefetch=True)]
    assert fetched == plain and len(plain) > 150
    assert len(cw_sim.journal()) - before == -(-len(plain) // 50)


def test_prefetched_listing_surfaces_a_failing_page(cw_sim, make_cw_client):
    """With prefetch, a page that keeps failing raises the ConnectWise error from the worker thread."""
    client = make_cw_client(cw_sim.base_url)
    cw_sim.faults(error_count=3, error_status=503, paths="/company/configurations")
    with pytest.raises(errors.Unavailable):
        list(client.iter_list("/company/configurations", page_size=50, prefetch=True))


def test_company_info_tells_a_known_company_from_an_unknown_one(cw_sim, make_cw_client):
    """company_info() returns the site for the configured company and None for an unknown one."""
    assert make_cw_client(cw_sim.base_url).company_info()["Codebase"] == "v4_6_release/"
    assert make_cw_client(cw_sim.base_url, company_id="nosuchco").company_info() is None
