"""Hostile text shown back: ConnectWise's names (ticket summaries, boards, statuses, companies,
members, configurations) and what users store (a change's title and texts) come back escaped on
every page that shows them, with no script URL, and the CSV report stays formula-safe."""
import csv
import io

from cbcw.devices.models import Device
from cbcw.extensions import db
from tests.security.crawl import crawl, post_targets
from tests.security.hostile import MARKUP, markup_problems
from tests.security.posting import WINDOW_DAY, holds_text, send, valid_baseline, with_value

ESCAPED = "&lt;script&gt;alert(&#34;{kind}&#34;)&lt;/script&gt;"  # how Jinja shows HOSTILE_SUFFIX's script


def _get(world, url, htmx=False):
    response = world.client.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code < 500, url
    return response.get_data(as_text=True)


def test_connectwise_names_come_back_escaped_everywhere(world, site):
    """Every page of the walk over a simulator whose every name carries markup shows it as text:
    the typeahead, ticket widget, time-entry popup, company search, boards, member picker,
    devices, device detail, calendar and activity pages included."""
    change, company = world.changes["draft"], world.ids["company_id"]
    device = db.session.scalar(db.select(Device).where(Device.id == world.ids["device_id"]))
    pages = {url: page.body for (url, _), page in site.pages.items()}
    pages.update({url: _get(world, url, htmx) for url, htmx in [
        (f"/connectwise/companies/{company}/tickets?linked_ticket_query=a", True),
        (f"/changes/{change}/connectwise-ticket?refresh=1", True),
        (f"/changes/{change}/connectwise-ticket/time-entry?popup=1", False),
        (f"/settings/integrations/connectwise/companies/search?company_id={company}&q=a", True),
        (f"/settings/integrations/connectwise/companies/{company}/boards", True),
        ("/settings/integrations/connectwise/members", True),
        ("/devices?q=acme", False), (f"/devices/{device.id}", False), ("/calendar", False),
        ("/settings/integrations/activity", False),
    ]})
    problems = {url: found for url, body in pages.items() if (found := markup_problems(body))}
    assert problems == {}
    shown = "\n".join(pages.values())
    for kind in ("summary", "name", "member"):  # configuration names are "name" too
        assert ESCAPED.format(kind=kind) in shown, f"no page showed a ConnectWise {kind} (escaped)"
    assert "<script>" not in device.hostname and device.external_name and "<script>" in device.external_name


def test_stored_change_text_is_escaped_on_every_page_and_formula_safe_in_csv(world):
    """A change created through the form with markup and a formula in its title and texts shows
    them as text on the list, detail, timeline, calendar, device, activity and report pages,
    and the CSV cell starts with an apostrophe."""
    device = db.session.scalar(db.select(Device).where(Device.id == world.ids["device_id"]))
    day = WINDOW_DAY
    title = "=HYPERLINK(\"http://x\")" + MARKUP[:150]
    form = {"title": title, "company_id": str(device.company_id), "risk": "low", "description": f"{MARKUP} @{device.hostname}",
            "reason": MARKUP, "impact": MARKUP, "implementation_plan": MARKUP, "rollback_plan": MARKUP,
            "test_plan": MARKUP, "window_start": [day.strftime("%d %b %Y"), "10:00"],
            "window_end": [day.strftime("%d %b %Y"), "11:00"], "csrf_token": world.csrf_token()}
    with world.isolated():
        response = world.client.post("/changes/new", data=form)
        assert response.status_code == 302, "the change with hostile text was not created"
        change_url = response.location
        comment = world.client.post(f"{change_url}/comments", data={"comment-text": MARKUP,
                                                                    "comment-csrf_token": world.csrf_token()})
        assert comment.status_code == 302
        pages = {url: _get(world, url) for url in [
            "/changes", f"/changes?q={title[:5]}", change_url, f"{change_url}?tab=timeline",
            f"{change_url}/integration", f"/calendar?date={day.isoformat()}", f"/devices/{device.id}",
            f"/reports/device-changes?date_from={day.isoformat()}&date_to={day.isoformat()}"]}
        report = world.client.get(f"/reports/device-changes?format=csv&date_from={day.isoformat()}"
                                  f"&date_to={day.isoformat()}").get_data(as_text=True)
    problems = {url: found for url, body in pages.items() if (found := markup_problems(body))}
    assert problems == {}
    assert sum("=HYPERLINK(&#34;http://x&#34;)&lt;script&gt;" in body for body in pages.values()) >= 5
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    titles = [row[5] for row in rows[1:] if "HYPERLINK" in row[5]]
    assert titles and all(cell.startswith("'=") for cell in titles)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)


# Forms whose post would end the admin's session or cannot store text.
SESSION_FORMS = {"accounts.logout", "accounts.login", "accounts.change_password"}
SHORT_MARKUP = MARKUP[:MARKUP.index("{{")]  # short enough for names (companies, people)


def test_markup_stored_through_every_form_is_escaped_on_every_page(world, site):
    """Markup typed into each text field of every form (the others filled in to pass) is stored
    wherever a form keeps text (changes, comments, companies, users, settings), and afterwards
    no page of the whole app shows it as markup."""
    targets = sorted(post_targets(world.client.application), key=lambda t: t.endpoint == "changes.transition")
    with world.isolated():
        for target in targets:
            found = site.form_for(target)
            if found is None or found.anonymous or target.endpoint in SESSION_FORMS:
                continue
            baseline = valid_baseline(found)
            for item in found.form.fields:
                if holds_text(item) and item.kind in ("text", "textarea") and not item.placeholder:
                    assert send(world, found, with_value(baseline, item.name, SHORT_MARKUP)).status_code < 500
        stored = sorted(table for table, rows in world.rows().items() if "<script>alert(1)" in repr(rows))
        walked = crawl(world)
    assert {"changes", "companies", "users", "timeline_entries"} <= set(stored)
    problems = {url: found for (url, _), page in walked.pages.items()
                if page.html and (found := markup_problems(page.body))}
    assert problems == {}
    assert sum("&lt;script&gt;alert(1)&lt;/script&gt;" in page.body for page in walked.pages.values()) >= 10
