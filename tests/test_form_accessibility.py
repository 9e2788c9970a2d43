"""Form errors are tied to their controls for screen readers (aria-invalid, aria-describedby)."""
import re


def test_an_invalid_field_points_at_its_error_and_says_it_is_invalid(login, post, engineer, company):
    """A refused change form marks the title invalid and describes it by its error text."""
    login(engineer)
    html = post("/changes/new", {"title": "", "company_id": str(company.id), "risk": "low"}).get_data(as_text=True)
    title_input = re.search(r'<input[^>]*id="title"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in title_input
    described_by = re.search(r'aria-describedby="([^"]+)"', title_input).group(1).split()
    assert "title-error" in described_by
    assert re.search(r'<small class="error" id="title-error" role="alert">[^<]+</small>', html)


def test_a_valid_field_is_not_marked_invalid(login, client, engineer):
    """On a fresh form no control claims to be invalid."""
    login(engineer)
    html = client.get("/changes/new").get_data(as_text=True)
    assert 'aria-invalid' not in html


def test_every_page_names_its_favicon_and_the_icon_is_served(client):
    """The login page links the favicon and /static serves it as SVG."""
    html = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
