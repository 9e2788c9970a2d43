"""The client's guards against ConnectWise's limits and against a sloppy server: escaped LIKE text,
URLs under 2,000 characters, conditions laid over every `next` link, records re-checked."""
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from cbcw.connectwise.api import errors
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.retry import RetryPolicy

BASE = "https://cw.example.com/v4_6_release/apis/3.0"


def test_contains_escapes_like_wildcards():
    """`%`, `_`, `[` and `*` in user text are bracketed so they match only themselves."""
    assert C.contains("name", '50%_off [test]*') == 'name contains "50[%][_]off [[]test][*]"'


def test_search_sends_escaped_text_and_finds_only_the_literal_match(cw_sim, cw_client):
    """Searching `e*S` asks ConnectWise for the literal `e*S` (the simulator treats `*` as a wildcard)."""
    assert [c["name"] for c in cw_client.search_companies("e*S")] == ["Acme*Star Holdings"]
    assert 'name contains "e[*]S"' in cw_sim.journal()[-1]["query"]["conditions"]


def test_member_matching_for_140_users_reads_the_active_members_once(cw_sim, cw_client):
    """140 emails are matched against the active members, read in one listing filtered only on what
    ConnectWise certainly filters (`inactiveFlag`), so no URL grows with the emails; all matches are found."""
    emails = [f"someone.with.a.long.address.{n:03d}@customer-of-the-msp.example" for n in range(136)]
    emails += ["admin@demo.test", "ENGINEER@demo.test", "tech.approver@demo.test", "vcab1@demo.test"]
    found = cw_client.find_members_by_emails(emails)
    assert set(found) == {"admin@demo.test", "engineer@demo.test", "tech.approver@demo.test", "vcab1@demo.test"}
    journal = cw_sim.journal()
    assert [(e["status"], e["query"]["conditions"]) for e in journal] == [(200, "inactiveFlag = false")]


def test_configuration_listing_for_many_companies_stays_under_the_limit(cw_sim, cw_client):
    """600 company ids and 400 type ids are split so no listing URL is refused."""
    list(cw_client.iter_configuration_pages(range(1, 401), range(1, 601)))
    assert cw_client.count_configurations(range(1, 401), range(1, 601)) >= 0
    assert all(entry["status"] == 200 for entry in cw_sim.journal())


def _page(records, next_url=None):
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return 200, headers, json.dumps(records)


@responses.activate
def test_conditions_are_laid_over_a_next_link_that_drops_them(make_cw_client):
    """A server whose next link forgets the conditions cannot widen the result: every page request carries ours."""
    url = BASE + "/service/boards"
    boards = [{"id": n, "name": f"B{n}", "inactiveFlag": n % 2 == 0, "projectFlag": False} for n in range(1, 7)]

    def sloppy(request):
        query = parse_qs(urlsplit(request.url).query)
        page = int(query.get("page", ["1"])[0])
        wanted = boards if "conditions" not in query else [b for b in boards if not b["inactiveFlag"]]
        chunk = wanted[(page - 1) * 2:page * 2]
        return _page(chunk, f"{url}?page={page + 1}" if page * 2 < len(wanted) else None)

    responses.add_callback(responses.GET, url, callback=sloppy)
    client = make_cw_client(BASE)
    client.list_boards()
    assert all("conditions" in parse_qs(urlsplit(call.request.url).query) for call in responses.calls)


@responses.activate
def test_records_that_do_not_match_the_query_are_dropped(make_cw_client):
    """A server that ignores the conditions and returns everything: what we asked for is re-checked."""
    boards = [{"id": 1, "name": "Service", "inactiveFlag": False, "projectFlag": False},
              {"id": 2, "name": "Old", "inactiveFlag": True, "projectFlag": False},
              {"id": 3, "name": "Projects", "inactiveFlag": False, "projectFlag": True}]
    members = [{"id": 1, "identifier": "a", "officeEmail": "a@x.test", "inactiveFlag": False, "licenseClass": "F"},
               {"id": 2, "identifier": "b", "officeEmail": "b@x.test", "inactiveFlag": False, "licenseClass": "F"},
               {"id": 3, "identifier": "api", "officeEmail": "a@x.test", "inactiveFlag": False, "licenseClass": "A"}]
    configurations = [{"id": 1, "type": {"id": 7}, "company": {"id": 9}},
                      {"id": 2, "type": {"id": 8}, "company": {"id": 9}},
                      {"id": 3, "type": {"id": 7}, "company": {"id": 10}}]
    tickets = [{"id": 5, "summary": "printer jam", "company": {"id": 9}, "closedFlag": False, "board": {"id": 1}},
               {"id": 6, "summary": "printer jam", "company": {"id": 10}, "closedFlag": False, "board": {"id": 1}},
               {"id": 7, "summary": "printer jam", "company": {"id": 9}, "closedFlag": True, "board": {"id": 1}},
               {"id": 8, "summary": "printer jam", "company": {"id": 9}, "closedFlag": False, "board": {"id": 2}}]
    responses.get(BASE + "/service/boards", json=boards)
    responses.get(BASE + "/system/members", json=members)
    responses.get(BASE + "/company/configurations", json=configurations)
    responses.get(BASE + "/service/tickets", json=tickets)
    client = make_cw_client(BASE)
    assert [b["id"] for b in client.list_boards()] == [1]
    assert {email: m["id"] for email, m in client.find_members_by_emails(["a@x.test"]).items()} == {"a@x.test": 1}
    assert [c["id"] for page in client.iter_configuration_pages([7], [9]) for c in page] == [1]
    assert [t["id"] for t in client.search_tickets("printer", company_id=9, board_ids=[1])] == [5]


@pytest.mark.parametrize("body", [{}, [None], [{}], [{"id": "7"}], [{"id": True}], "text", 5])
@responses.activate
def test_wrong_shaped_answers_are_bad_response(make_cw_client, body):
    """Valid JSON of the wrong shape is a BadResponse from every typed read, never a KeyError."""
    responses.get(re.compile(re.escape(BASE) + r"/.*"), json=body)
    client = make_cw_client(BASE)
    for call in (client.list_boards, client.list_members, client.list_configuration_types,
                 lambda: client.search_companies("a"), lambda: client.get_company(1),
                 lambda: client.list_board_statuses(1), lambda: client.find_members_by_emails(["a@x.test"])):
        with pytest.raises(errors.BadResponse):
            call()


@responses.activate
def test_only_connectwise_shaped_error_text_is_shown(make_cw_client):
    """An error body without ConnectWise's shape is not echoed; a CW message is, cut to 200 characters."""
    responses.get(BASE + "/system/info", status=400, json={"message": "port 6379 is redis"})
    responses.get(BASE + "/system/info", status=400, json={"code": "InvalidObject", "message": "x" * 500})
    client = make_cw_client(BASE)
    with pytest.raises(errors.ValidationFailed) as first:
        client.system_info()
    assert "redis" not in str(first.value)
    with pytest.raises(errors.ValidationFailed) as second:
        client.system_info()
    assert "x" * 200 in str(second.value) and "x" * 201 not in str(second.value)


def test_interactive_budget_bounds_the_whole_call_retries_included(cw_sim, make_cw_client):
    """A hanging ConnectWise frees an interactive caller at its budget, though each try may wait longer."""
    cw_sim.faults(hang=True)
    client = make_cw_client(cw_sim.base_url, read_timeout=1.0, budget=1.5,
                            retry=RetryPolicy(attempts=3, wait_retry_after=False))
    started = time.monotonic()
    with pytest.raises(errors.Timeout, match="did not answer within"):
        client.list_boards()
    assert time.monotonic() - started < 2.4  # three tries of 1 s each, plus backoff, without the budget
