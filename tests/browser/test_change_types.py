"""Change types in a real browser (PRODUCT §2.8): answering the risk questions updates the level
and the approvals required in place (htmx), and without JavaScript they show on save."""
import re

from playwright.sync_api import expect

from tests.browser.htmx import goto, htmx_swap

ENGINEER = "engineer@demo.test"
REQUIREMENT = re.compile(r"/changes/requirement\?")
HIGH = {"How many users are affected?": "Many or everyone", "Which services are affected?": "A critical service",
        "Was it tested beforehand?": "No", "How hard is the rollback?": "Easy and quick",
        "Is it inside business hours?": "No"}


def test_answers_update_the_level_and_the_approvals_as_the_user_answers(page, login, demo):
    login(page, ENGINEER)
    goto(page, "/changes/new")
    summary = page.locator("#requirement-summary")
    expect(summary).to_contain_text("Answer the questions")
    expect(summary).to_contain_text("This change needs technical approval because")
    for question, answer in HIGH.items():
        with htmx_swap(page, REQUIREMENT):
            page.get_by_label(question).select_option(label=answer)
    expect(summary.locator(".badge")).to_have_text("High risk")
    expect(summary).to_contain_text("score 8")
    expect(summary).to_contain_text("Driven by: How many users are affected? Many or everyone (+3)")
    expect(summary).to_contain_text("This change needs technical, operational and the vCAB's approval")
    with htmx_swap(page, REQUIREMENT):
        page.get_by_label("Type").select_option("emergency")
    expect(summary).to_contain_text("needs one ECAB member's approval because it is an emergency change")


def test_without_javascript_the_level_and_approvals_show_on_save(browser, demo):
    from tests.browser.conftest import DEMO_PASSWORD

    context = browser.new_context(base_url=demo.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill(ENGINEER)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto("/changes/new")
        page.get_by_label("Title").fill("Move the file shares")
        page.get_by_label("Company").select_option(label="Acme Manufacturing")
        for question, answer in HIGH.items():
            page.get_by_label(question).select_option(label=answer)
        page.get_by_role("button", name="Create draft").click()
        expect(page.locator(".flash-success")).to_contain_text("created as a draft")
        section = page.locator("#change-type")
        expect(section).to_contain_text("High risk")
        expect(section).to_contain_text("This change needs technical, operational and the vCAB's approval")
    finally:
        context.close()
