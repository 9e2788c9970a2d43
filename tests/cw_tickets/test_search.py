"""Which tickets the change form's typeahead offers (PRODUCT §3.5, Board Filtering), over a real socket."""
import pytest

from cbcw.connectwise.tickets import search as tickets
from tests.cw_tickets.conftest import ACME_CW_ID, NORTHWIND_CW_ID


def expected(seed_tickets, cw_company_id, words, board_ids=()):
    """What ConnectWise should answer: open, that company, those boards, every word, newest first."""
    rows = [t for t in seed_tickets if t["company"]["id"] == cw_company_id and not t["closedFlag"]
            and (not board_ids or t["board"]["id"] in board_ids)
            and all(w.lower() in t["summary"].lower() for w in words)]
    return [t["id"] for t in sorted(rows, key=lambda t: -t["id"])][:25]


@pytest.fixture
def acme(map_company, company):
    return map_company(company, ACME_CW_ID)


def test_words_find_open_tickets_of_the_mapped_company_only(cw_client, cw_sim, acme, seed_tickets):
    """Words match summaries of the mapped company's open tickets, newest first; other companies' never."""
    found = tickets.search(cw_client, acme, "patch servers")
    assert [t.id for t in found] == expected(seed_tickets, ACME_CW_ID, ["patch", "servers"])
    assert found and all(t.company_id == ACME_CW_ID and not t.closed for t in found)
    others = expected(seed_tickets, NORTHWIND_CW_ID, ["patch", "servers"])
    assert others and not set(others) & {t.id for t in found}


def test_board_filter_limits_the_boards(cw_client, map_company, company, seed_tickets):
    """With boards chosen for the company, tickets on other boards are not offered."""
    mapping = map_company(company, ACME_CW_ID, board_ids=[2])
    found = tickets.search(cw_client, mapping, "a")
    assert found and {t.board_id for t in found} == {2}
    assert [t.id for t in found] == expected(seed_tickets, ACME_CW_ID, ["a"], [2])


def test_closed_tickets_are_never_offered(cw_client, acme, seed_tickets):
    """A closed ticket of the company is not offered, even when its number is typed."""
    closed = next(t for t in seed_tickets if t["company"]["id"] == ACME_CW_ID and t["closedFlag"])
    assert tickets.search(cw_client, acme, str(closed["id"])) == []


def test_a_number_finds_that_ticket(cw_client, acme, seed_tickets):
    """Typing a ticket number (with or without #) offers that ticket."""
    ticket = next(t for t in seed_tickets if t["company"]["id"] == ACME_CW_ID and not t["closedFlag"])
    for typed in (str(ticket["id"]), f"#{ticket['id']}"):
        assert [t.id for t in tickets.search(cw_client, acme, typed)] == [ticket["id"]]


def test_a_partial_number_finds_the_tickets_it_begins(cw_client, acme, seed_tickets):
    """"501" offers the company's open #5010–#5019 (and #501 if it existed): id ranges, since
    ConnectWise cannot match a prefix of a number."""
    wanted = sorted((t["id"] for t in seed_tickets if t["company"]["id"] == ACME_CW_ID and not t["closedFlag"]
                     and str(t["id"]).startswith("501")), reverse=True)
    assert wanted
    assert [t.id for t in tickets.search(cw_client, acme, "501")] == wanted


def test_id_prefix_ranges_stay_within_ticket_ids():
    from cbcw.connectwise.api.endpoints.service import MAX_TICKET_ID, id_prefix_conditions
    ranges = id_prefix_conditions("501")
    assert ranges[:3] == ["id = 501", "(id >= 5010) AND (id <= 5019)", "(id >= 50100) AND (id <= 50199)"]
    assert ranges[-1] == "(id >= 501000000) AND (id <= 501999999)" and len(ranges) == 7
    assert id_prefix_conditions("2")[-1] == f"(id >= 2000000000) AND (id <= {MAX_TICKET_ID})"
    assert id_prefix_conditions("0501") == [] and id_prefix_conditions("9" * 11) == []
    assert id_prefix_conditions("2147483647") == ["id = 2147483647"]


@pytest.mark.parametrize("typed", ["\u00b2\u00b3", "5001\u00b2", "\u2460"])
def test_digits_int_cannot_read_are_searched_as_words(cw_client, acme, typed):
    """Superscript or circled digits (str.isdigit() yes, int() no) are words of a summary, not a
    ticket number: nothing found, no ValueError (a 500 in the typeahead)."""
    assert tickets.search(cw_client, acme, typed) == []


def test_another_companys_number_finds_nothing(cw_client, acme, seed_tickets):
    """A number of another company's ticket offers nothing."""
    foreign = next(t for t in seed_tickets if t["company"]["id"] == NORTHWIND_CW_ID and not t["closedFlag"])
    assert tickets.search(cw_client, acme, str(foreign["id"])) == []


# Northwind's open tickets include 'Upgrade "edge" router & VPN (50% + more)*' (simulator seed).
@pytest.mark.parametrize("typed, matches", [
    ("50%", True), ("(50% + more)*", True), ('"edge"', True), ("& VPN", True),
    ("5_%", False), ("[e]dge", False), ("50%%", False), ("*edge*", False)])
def test_awkward_characters_match_literally(cw_client, map_company, company, seed_tickets, typed, matches):
    """%, _, *, quotes, & and brackets are matched as typed, never as wildcards or syntax: a search
    for `50%` finds the tickets containing "50%", and `5_%` or `[e]dge` find nothing."""
    mapping = map_company(company, NORTHWIND_CW_ID)
    found = tickets.search(cw_client, mapping, typed)
    assert [t.id for t in found] == expected(seed_tickets, NORTHWIND_CW_ID, typed.split())
    assert bool(found) == matches
    assert all(all(w.lower() in t.summary.lower() for w in typed.split()) for t in found)


def test_one_connectwise_request_per_query(cw_client, cw_sim, acme):
    """Each query costs exactly one ConnectWise request, with the scope in its conditions."""
    cw_sim.faults()  # clears nothing but proves the control API is up
    requests_before = len(cw_sim.journal())
    tickets.search(cw_client, acme, "switch")
    journal = cw_sim.journal()[requests_before:]
    assert [(e["method"], e["path"].rsplit("/apis/3.0", 1)[1]) for e in journal] == [("GET", "/service/tickets")]
    conditions = journal[0]["query"]["conditions"]
    assert f"company/id = {ACME_CW_ID}" in conditions and "closedFlag = false" in conditions
    assert journal[0]["query"]["pageSize"] == "25" and journal[0]["query"]["orderBy"] == "id desc"


def test_a_blank_query_asks_nothing(cw_client, cw_sim, acme):
    """A blank query (or a lone #) sends no request and offers nothing."""
    before = len(cw_sim.journal())
    assert tickets.search(cw_client, acme, "  # ") == []
    assert len(cw_sim.journal()) == before


def test_at_most_25_results(cw_client, cw_sim, acme):
    """However many tickets match, at most 25 are offered."""
    assert len(tickets.search(cw_client, acme, "e")) <= 25
    assert cw_sim.journal()[-1]["query"]["pageSize"] == "25"


@pytest.mark.parametrize("answer", [{"id": 1}, [None], [{"summary": "no id"}], [{"id": "5001"}], [{"id": True}]])
def test_wrong_shaped_answers_are_connectwise_errors(monkeypatch, cw_client, acme, answer):
    """A ConnectWise answer of the wrong shape is a BadResponse, never a crash."""
    from cbcw.connectwise.api import errors
    monkeypatch.setattr(cw_client, "search_tickets", lambda *args, **kwargs: answer)
    with pytest.raises(errors.BadResponse):
        tickets.search(cw_client, acme, "x")
