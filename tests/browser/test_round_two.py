"""Everyday use, round two (issue 23) in Chromium: the change page's ConnectWise tab and timeline
filter, the list's sorting, search and keyboard, the skip link, the date-and-time control, the
settings page's company combobox, @mentions, and every table readable at 390 px."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from cbcw.changes.models import Change, ChangeDevice
from cbcw.connectwise.automation.delivery import deliver
from cbcw.extensions import db
from tests.browser.htmx import goto, htmx_click, htmx_swap, url_with, wait_until_quiet

ENGINEER, ADMIN = "engineer@demo.test", "admin@demo.test"
PHONE = {"width": 390, "height": 800}


def completed_change(demo) -> int:
    with demo.app_context():
        deliver(budget=60)
        return db.session.scalar(select(Change.id).where(Change.state == "completed").limit(1))


def test_connectwise_activity_is_a_tab_with_a_line_on_the_overview(page, login, demo):
    """The Overview says in one line what was written; its tab opens in place at a real URL, stays
    selected on reload, and the arrow keys move between the tabs."""
    change_id = completed_change(demo)
    login(page, ENGINEER)
    goto(page, f"/changes/{change_id}")
    summary = page.locator(".panel-summary")
    expect(summary).to_contain_text(re.compile(r"ConnectWise activity: \d+ writes to the ticket: \d+ sent"))
    expect(page.locator("table.activity")).to_have_count(0)  # no write rows on the Overview
    tab = page.get_by_role("tab", name="ConnectWise activity")
    htmx_click(page, tab, re.compile(rf"/changes/{change_id}\?tab=integration$"))
    expect(page).to_have_url(re.compile(r"\?tab=integration$"))
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("table.activity tbody tr").first).to_be_visible()
    page.reload()
    expect(page.get_by_role("tab", name="ConnectWise activity")).to_have_attribute("aria-selected", "true")
    expect(page.locator("table.activity tbody tr").first).to_be_visible()
    page.get_by_role("tab", name="ConnectWise activity").focus()
    page.keyboard.press("Home")
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Overview")).to_be_focused()


def test_timeline_hides_system_events_and_remembers_it_on_the_next_change(page, login, demo):
    """Hide system events leaves only what people did, in the URL (bookmarkable) and remembered when
    another change's timeline is opened; Show brings them back."""
    change_id = completed_change(demo)
    login(page, ENGINEER)
    goto(page, f"/changes/{change_id}?tab=timeline")
    entries = page.locator(".timeline > li")
    everything = entries.count()
    hide = page.get_by_role("link", name="Hide system events")
    htmx_click(page, hide, url_with(f"/changes/{change_id}", tab="timeline", system="hide"))
    expect(page).to_have_url(re.compile(r"system=hide"))
    expect(page.get_by_text(re.compile(r"\d+ system events? .* hidden"))).to_be_visible()
    assert entries.count() < everything
    expect(entries.filter(has_text="System ·")).to_have_count(0)
    with demo.app_context():
        other = db.session.scalar(select(Change.id).where(Change.id != change_id, Change.state == "completed").limit(1)) \
            or db.session.scalar(select(Change.id).where(Change.id != change_id).limit(1))
    goto(page, f"/changes/{other}?tab=timeline")
    expect(page.locator(".timeline > li").filter(has_text="System ·")).to_have_count(0)
    htmx_click(page, page.get_by_role("link", name="Show system events"),
               url_with(f"/changes/{other}", tab="timeline", system="show"))
    expect(page.get_by_role("link", name="Hide system events")).to_be_visible()


def test_enter_in_the_search_sends_one_request(page, login, demo):
    """Typing then Enter in the list's search sends one request for the search (the typed one is
    replaced, not sent as well) and htmx aborts nothing."""
    login(page, ENGINEER)
    goto(page, "/changes")
    page.evaluate("window.__aborts = 0; document.addEventListener('htmx:sendAbort', () => window.__aborts++)")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/changes?" in r.url and r.headers.get("hx-request") else None)
    search = page.get_by_role("searchbox", name="Search")
    with htmx_swap(page, url_with("/changes", q="acme")):
        search.fill("acme")
        search.press("Enter")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    wait_until_quiet(page)
    assert len([url for url in asked if "q=acme" in url]) == 1, asked
    assert page.evaluate("window.__aborts") == 0


def test_list_sorts_by_a_heading_and_moves_with_j_and_k(page, login, demo):
    """Clicking Risk sorts the rows (aria-sort, bookmarkable URL), again reverses them; j and k move
    between the rows' links and Enter opens the focused change."""
    login(page, ENGINEER)
    goto(page, "/changes")
    risk = page.get_by_role("columnheader", name="Risk")
    htmx_click(page, risk.get_by_role("link"), url_with("/changes", sort="risk"))
    expect(page).to_have_url(re.compile(r"sort=risk"))
    expect(page.get_by_role("columnheader", name=re.compile("^Risk"))).to_have_attribute("aria-sort", "ascending")
    risks = page.locator("#results tbody td[data-label=Risk]").all_inner_texts()
    order = {"Low risk": 1, "Medium risk": 2, "High risk": 3}
    assert [order[r] for r in risks] == sorted(order[r] for r in risks)
    htmx_click(page, page.get_by_role("columnheader", name=re.compile("^Risk")).get_by_role("link"),
               url_with("/changes", sort="-risk"))
    expect(page.get_by_role("columnheader", name=re.compile("^Risk"))).to_have_attribute("aria-sort", "descending")
    expect(page.get_by_role("columnheader", name="Implementer")).to_be_visible()

    links = page.locator("[data-row-link]")
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(links.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(links.nth(1)).to_be_focused()
    reference = links.nth(1).inner_text()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def test_skip_link_is_first_and_moves_to_the_content(page, login, demo):
    """The first Tab shows "Skip to content"; Enter moves focus past the navigation to the main content."""
    login(page, ENGINEER)
    goto(page, "/changes")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_window_is_picked_with_the_date_and_time_control(page, login, demo):
    """The change form's window uses the native date-and-time control; what is picked is saved in the
    user's timezone and shown back; an end before the start says so."""
    login(page, ENGINEER)
    goto(page, "/changes/new")
    page.get_by_label("Title").fill("Date control")
    page.get_by_label("Company").select_option(label="Acme Manufacturing")
    start, end = page.get_by_label("Window start"), page.get_by_label("Window end")
    assert start.get_attribute("type") == "datetime-local"
    start.fill("2030-07-10T22:00")
    end.fill("2030-07-10T21:00")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("The implementation window must end after it starts.")).to_be_visible()
    page.get_by_label("Window end").fill("2030-07-10T23:30")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator(".flash-success")).to_contain_text("created as a draft")
    expect(page.locator("#change-tabpanel")).to_contain_text("10 Jul 2030 22:00–23:30")  # London summer time


def test_company_picker_lists_on_focus_and_maps_with_the_arrow_keys(page, login, demo):
    """Focusing a company's picker lists ConnectWise companies (expanded); ↓ makes one active and
    Enter maps the row to it."""
    login(page, ADMIN)
    goto(page, "/settings/integrations/connectwise")
    row = page.locator("tr[id^='company-row-']").filter(has=page.get_by_role("cell", name="Acme Manufacturing", exact=True))
    picker = row.get_by_role("combobox")
    with htmx_swap(page, url_with("/settings/integrations/connectwise/companies/search", q="")):
        picker.focus()
    expect(picker).to_have_attribute("aria-expanded", "true")
    options = row.get_by_role("option")
    expect(options.first).to_be_visible()
    picker.press("ArrowDown")
    picker.press("ArrowDown")
    second = options.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(picker).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    name = second.inner_text().split(" (")[0]
    with htmx_swap(page, re.compile(r"/companies/\d+/map$"), "POST"):
        picker.press("Enter")
    expect(page.locator("tr[id^='company-row-']").filter(has=page.get_by_role("cell", name="Acme Manufacturing", exact=True))
           .locator(".mapped")).to_contain_text(name)


def test_picking_a_mention_mid_sentence_leaves_no_double_space(page, login, demo):
    """An @mention picked before existing text takes the space that follows instead of adding one."""
    login(page, ENGINEER)
    goto(page, "/changes/new")
    page.get_by_label("Company").select_option(label="Acme Manufacturing")
    description = page.get_by_label("Description")
    description.fill("Reboot  tonight")
    description.evaluate("el => el.setSelectionRange(7, 7)")
    with htmx_swap(page, url_with("/devices/mentions", q="acme-d")):
        description.press_sequentially("@acme-d")
    expect(page.get_by_role("listbox", name="Devices to mention").get_by_role("option").first).to_be_visible()
    description.press("ArrowDown")
    description.press("Enter")
    expect(description).to_have_value("Reboot @acme-dc01 tonight")


def _label_of(cell) -> str:
    return cell.evaluate("td => getComputedStyle(td, '::before').content")


def _value_clears_its_label(cell) -> bool:
    """The cell's value starts after its label (the ::before), not under it."""
    return cell.evaluate("td => parseFloat(getComputedStyle(td).paddingLeft)"
                         " >= parseFloat(getComputedStyle(td, '::before').width)")


def test_every_table_reads_as_labelled_rows_at_390_px(page, login, demo):
    """At 390 px the list, the activity, the company mapping, the users table and a change's
    devices show each value beside its column's name (never printed over it), nothing scrolls
    sideways, and the list's state and risk are on screen."""
    change_id = completed_change(demo)
    with demo.app_context():
        with_devices = db.session.scalar(select(ChangeDevice.change_id).order_by(ChangeDevice.id).limit(1))
    page.set_viewport_size(PHONE)
    login(page, ADMIN)
    for path, cell, label in (("/changes", "td[data-label=State]", '"State"'),
                              ("/settings/integrations/activity", "td[data-label=Time]", '"Time"'),
                              (f"/changes/{change_id}/integration", "td[data-label=Request]", '"Request"'),
                              ("/settings/integrations/connectwise", "td[data-label='ConnectWise company']",
                               '"ConnectWise company"'),
                              ("/settings/users", "td[data-label=Email]", '"Email"'),
                              ("/devices", "td[data-label=Hostname]", '"Hostname"'),
                              (f"/changes/{with_devices}", "#devices td[data-label=Hostname]", '"Hostname"')):
        goto(page, path)
        wait_until_quiet(page)
        assert _label_of(page.locator(cell).first) == label, path
        assert _value_clears_its_label(page.locator(cell).first), path
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    goto(page, "/changes")
    for name in ("State", "Risk"):
        expect(page.locator(f"#results td[data-label={name}] .badge").first).to_be_in_viewport()


def test_activity_dates_stay_on_one_line_and_paths_break_only_at_slashes_at_1366(page, login, demo):
    """At 1366 px each write's time is one line, and a request path never wraps inside a word."""
    completed_change(demo)
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, ADMIN)
    goto(page, "/settings/integrations/activity")
    times = page.locator("td[data-label=Time] > time")
    expect(times.first).to_be_visible()
    assert all(n == 1 for n in times.evaluate_all("ts => ts.map(t => t.getClientRects().length)"))
    words = page.locator("td[data-label=Request] code").evaluate_all(
        "cs => cs.flatMap(c => { const r = document.createRange(); const out = [];"
        " for (const node of c.childNodes) { if (node.nodeType !== 3) continue;"
        "   r.selectNodeContents(node); out.push(r.getClientRects().length); } return out; })")
    assert words and max(words) == 1, words  # each piece between two slashes sits on one line


def test_tables_keep_their_roles_in_the_phone_layout(page, login, demo):
    """At 390 px the list's table, rows, headings and cells still carry table roles, also after an htmx swap."""
    page.set_viewport_size(PHONE)
    login(page, ENGINEER)
    goto(page, "/changes")
    expect(page.get_by_role("table")).to_have_count(1)
    expect(page.get_by_role("columnheader", name="State")).to_be_attached()
    with htmx_swap(page, url_with("/changes", sort="title")):
        page.get_by_role("columnheader", name="Title").get_by_role("link").click()
    expect(page.get_by_role("table").get_by_role("row").nth(1).get_by_role("cell").first).to_be_attached()
    assert page.locator("#results td:not([role=cell])").count() == 0
