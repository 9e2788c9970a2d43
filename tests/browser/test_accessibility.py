"""axe-core finds no serious or critical accessibility violation on the main pages."""
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def axe_violations(page: Page) -> list[str]:
    """Run axe-core in the page (evaluated through the DevTools protocol, so the CSP does not block it)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]


def first_change_url(page: Page) -> str:
    page.goto("/changes")
    return page.locator("table a[href^='/changes/']").first.get_attribute("href")


@pytest.mark.parametrize("email, path", [
    (None, "/login"),
    ("engineer@demo.test", "/changes"),
    ("engineer@demo.test", "/changes/new"),
    ("engineer@demo.test", "DETAIL"),
    ("engineer@demo.test", "DETAIL?tab=timeline"),
    ("admin@demo.test", "/settings/companies"),
    ("admin@demo.test", "/settings/users"),
    ("admin@demo.test", "/settings/integrations/connectwise"),
    ("admin@demo.test", "/settings/integrations/activity"),
    ("admin@demo.test", "/settings/integrations/drift"),
])
def test_main_page_has_no_serious_accessibility_violation(page, login, email, path):
    """Each main page passes axe-core without a serious or critical violation."""
    if email:
        login(page, email)
    if path.startswith("DETAIL"):
        path = first_change_url(page) + path.removeprefix("DETAIL")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
