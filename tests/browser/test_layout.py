"""Layout in a real browser: pages fit a phone's screen."""
from cbcw.connectwise.automation.delivery import deliver


def test_main_pages_fit_a_phone_screen(page, login, demo):
    """At 390 px (an admin's full navigation included) no page is wider than the screen."""
    with demo.app_context():
        deliver(budget=60)
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, "admin@demo.test")
    for path in ("/settings/integrations/activity", "/settings/integrations/activity?state=pending",
                 "/reports/device-changes", "/calendar", "/changes", "/profile"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
