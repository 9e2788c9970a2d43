"""The soak's user mix, for locust (run by `benchmarks/load/soak.py`; see the README there).

Two kinds of simulated people, logged in as the demo users (password changebreeze):

- `Reader`s browse as engineers, approvers, admins and viewers do: the change list (first page,
  a deep page, state and company filters, a search, "awaiting my approval"), a change's
  overview and its timeline tab (the HTMX partial), the linked-ticket widget the overview loads,
  the device list and a device, the ticket typeahead of the change form, and a comment.
- `Lifecycle`s each drive changes through their whole life with the right people, so every
  transition plans its ConnectWise writes in the outbox: the requester (engineer) picks a
  ticket from the typeahead and creates the change linked to it, submits it; the technical
  approver and the operational approver approve it (segregation of duties: neither is the
  requester); the requester, also the implementer, schedules, starts, comments and completes.

When ConnectWise cannot be asked, the typeahead says so and the change form keeps what was typed
with "save again in a moment" (a ticket is never linked unchecked): those answers are counted as
DEGRADED rows, not failures, and the form is saved again after a pause, as a person would. A
ticket another lifecycle closed (its completion sets "Resolved", a closed status) between the
typeahead and the save is refused as closed, rightly: counted as DEGRADED, and the change is
given up, as a person would pick another ticket.

Every request alternates between the hosts in SOAK_HOSTS (comma-separated base URLs), so one
person's session crosses both gunicorn masters. A request fails when its status is not 2xx/3xx
after redirects, when it lands on an error page or the login page, or when a transition's page
flashes an error instead of its success message.
"""
import itertools
import os
import random
import re
import time
from datetime import datetime, timedelta, timezone

from locust import HttpUser, between, task
from locust.clients import HttpSession

HOSTS = [h.rstrip("/") for h in os.environ.get("SOAK_HOSTS", "http://127.0.0.1:8000").split(",") if h]
PASSWORD = "changebreeze"
READERS = ("engineer@demo.test", "tech.approver@demo.test", "ops.approver@demo.test", "admin@demo.test",
           "msp@demo.test", "vcab1@demo.test", "viewer@demo.test")
EDITORS = {"engineer@demo.test", "tech.approver@demo.test", "ops.approver@demo.test", "admin@demo.test",
           "msp@demo.test", "vcab1@demo.test"}
TICKET_WORDS = ("Patch", "VPN", "backup", "switch", "firmware", "SSL", "laptop", "Printer")
SEARCH_WORDS = ("Patch", "disk", "load-00", "VLAN", "certificate", "Firmware")
STATES = ("draft", "pending_approval", "scheduled", "completed", "cancelled")

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CHANGE_LINK = re.compile(r'href="/changes/(\d+)"')
DEVICE_LINK = re.compile(r'href="/devices/(\d+)"')
COMPANY_OPTION = re.compile(r'<option value="(\d+)"[^>]*>([^<]+)</option>')
TICKET_OPTION = re.compile(r'data-ticket-id="(\d+)" data-ticket-summary="([^"]*)"')
# The documented answers when ConnectWise cannot be asked (the page works, the user is told):
# counted apart as "degraded", never as failures, and the change form is saved again as a person would.
TICKET_CHECK_DEFERRED = "could not be checked because ConnectWise did not answer"
TICKET_CLOSED_MEANWHILE = "is closed in ConnectWise: link an open ticket"
SEARCH_UNANSWERED = "Could not search ConnectWise"
FLASH_ERROR = re.compile(r'class="flash flash-error"[^>]*>([^<]*)<')
HTMX = {"HX-Request": "true"}
_host_turn = itertools.count()


class Person:
    """One logged-in demo user: a requests session whose requests alternate between the hosts."""

    def __init__(self, user: HttpUser, email: str):
        self.email = email
        self.session = HttpSession(base_url=HOSTS[0], request_event=user.environment.events.request, user=user)
        self.turn = next(_host_turn)
        self.csrf = ""

    def url(self, path: str) -> str:
        self.turn += 1
        return HOSTS[self.turn % len(HOSTS)] + path

    def request(self, method: str, path: str, name: str, expect: str | None = None, degraded: tuple[str, ...] = (),
                **kwargs):
        """Send, and mark the request failed on anything but a clean page (see the module docstring).

        A page carrying one of the `degraded` texts is a success, noted as a "DEGRADED" row of the stats.
        """
        with self.session.request(method, self.url(path), name=name, catch_response=True, **kwargs) as response:
            body = response.text or ""
            problem = None
            if any(text in body for text in degraded) and 200 <= response.status_code < 300:
                self.note_degraded(name)
            elif not 200 <= response.status_code < 400:
                problem = f"HTTP {response.status_code}"
            elif 'class="card narrow error-page"' in body:
                problem = "error page"
            elif "/login" in response.url and not path.startswith("/login"):
                problem = "sent to the login page"
            elif FLASH_ERROR.search(body):
                problem = "refused: " + FLASH_ERROR.search(body).group(1).strip()[:120]
            elif expect and expect not in body:
                problem = f"expected {expect!r} on the page"
            if problem:
                response.failure(problem)
            else:
                response.success()
            found = CSRF.search(body)
            if found:
                self.csrf = found.group(1)
            return response

    def note_degraded(self, name: str) -> None:
        self.session.request_event.fire(request_type="DEGRADED", name=name, response_time=0, response_length=0,
                                        exception=None, context={})

    def login(self) -> None:
        self.request("GET", "/login", "login page")
        self.request("POST", "/login", "login", data={"csrf_token": self.csrf, "email": self.email,
                                                     "password": PASSWORD}, expect="/logout")

    def post(self, path: str, name: str, prefix: str | None, fields: dict, expect: str | None = None,
             degraded: tuple[str, ...] = ()):
        token = f"{prefix}-csrf_token" if prefix else "csrf_token"
        data = {token: self.csrf, **{(f"{prefix}-{k}" if prefix else k): v for k, v in fields.items()}}
        return self.request("POST", path, name, data=data, expect=expect, degraded=degraded)


class Reader(HttpUser):
    """Browses lists and changes; editors also search tickets and comment."""

    weight = 4
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.person = Person(self, random.choice(READERS))
        self.person.login()
        self.changes: list[str] = []
        self.devices: list[str] = []
        self.companies: list[str] = []

    def _remember(self, body: str) -> None:
        self.changes = (self.changes + CHANGE_LINK.findall(body))[-200:]

    @task(6)
    def change_list(self):
        choice = random.random()
        if choice < 0.35:
            path, name = "/changes", "list: first page"
        elif choice < 0.55:
            path, name = f"/changes?page={random.randint(2, 300)}", "list: deep page"
        elif choice < 0.75:
            path, name = f"/changes?state={random.choice(STATES)}", "list: state filter"
        elif choice < 0.9:
            path, name = f"/changes?q={random.choice(SEARCH_WORDS)}", "list: search"
        else:
            path, name = "/changes?mine=approval", "list: awaiting my approval"
        response = self.person.request("GET", path, name)
        self._remember(response.text or "")
        if not self.companies:
            self.companies = [value for value, _ in COMPANY_OPTION.findall(response.text or "")]

    @task(2)
    def company_filter(self):
        if self.companies:
            response = self.person.request("GET", f"/changes?company={random.choice(self.companies)}",
                                           "list: company filter")
            self._remember(response.text or "")

    @task(6)
    def change_detail(self):
        if not self.changes:
            return self.change_list()
        change = random.choice(self.changes)
        self.person.request("GET", f"/changes/{change}", "detail: overview")
        self.person.request("GET", f"/changes/{change}/connectwise-ticket", "detail: ticket widget",
                            headers=HTMX)
        if random.random() < 0.5:
            self.person.request("GET", f"/changes/{change}?tab=timeline", "detail: timeline tab",
                                headers={**HTMX, "HX-Target": "change-tabs"})

    @task(2)
    def devices_pages(self):
        response = self.person.request("GET", f"/devices?page={random.randint(1, 50)}", "devices: list")
        self.devices = DEVICE_LINK.findall(response.text or "")[-50:] or self.devices
        if self.devices:
            self.person.request("GET", f"/devices/{random.choice(self.devices)}", "devices: detail")

    @task(2)
    def ticket_typeahead(self):
        if self.person.email in EDITORS and self.companies:
            self.person.request("GET", f"/connectwise/companies/{random.choice(self.companies)}/tickets"
                                       f"?linked_ticket_query={random.choice(TICKET_WORDS)}",
                                "typeahead: tickets", headers=HTMX, degraded=(SEARCH_UNANSWERED,))

    @task(1)
    def comment(self):
        if self.person.email in EDITORS and self.changes:
            change = random.choice(self.changes)
            self.person.request("GET", f"/changes/{change}?tab=timeline", "detail: timeline page")
            self.person.post(f"/changes/{change}/comments", "comment", "comment",
                             {"text": f"Soak comment {random.randint(1, 10**6)}"}, expect="Comment added.")


class Lifecycle(HttpUser):
    """Creates a change linked to a ticket and takes it to completed with the right people."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.requester = Person(self, "engineer@demo.test")
        self.technical = Person(self, "tech.approver@demo.test")
        self.operational = Person(self, "ops.approver@demo.test")
        for person in (self.requester, self.technical, self.operational):
            person.login()

    @task
    def one_change(self):
        form = self.requester.request("GET", "/changes/new", "new change form").text or ""
        people = {label: value for value, label in COMPANY_OPTION.findall(form)}
        companies = [value for value, label in COMPANY_OPTION.findall(form.split('name="risk"')[0])]
        if not companies or not {"Theo Tanaka", "Olivia Ortiz", "Erin Engineer"} <= set(people):
            return
        company = random.choice(companies)
        options = self.requester.request(
            "GET", f"/connectwise/companies/{company}/tickets?linked_ticket_query={random.choice(TICKET_WORDS)}",
            "typeahead: tickets", headers=HTMX, degraded=(SEARCH_UNANSWERED,)).text or ""
        tickets = TICKET_OPTION.findall(options)
        if not tickets:
            return  # nothing matched that word: the next run picks another
        ticket_id, summary = random.choice(tickets)
        fields = {
            "title": f"Soak change {random.randint(1, 10**6)}", "company_id": company, "risk": "low",
            "description": "Created by the load soak.", "reason": "Soak", "impact": "None",
            "implementation_plan": "Run the soak.", "rollback_plan": "Nothing to roll back.",
            "test_plan": "Read the report.", "technical_approver_id": people["Theo Tanaka"],
            "operational_approver_id": people["Olivia Ortiz"], "implementer_id": people["Erin Engineer"],
            "linked_ticket_id": ticket_id, "linked_ticket_label": summary, "linked_ticket_query": "",
        }
        for _ in range(5):  # saved again "in a moment" while ConnectWise cannot check the ticket
            created = self.requester.post("/changes/new", "create change", None, fields, expect="created as a draft",
                                          degraded=(TICKET_CHECK_DEFERRED, TICKET_CLOSED_MEANWHILE))
            if TICKET_CHECK_DEFERRED not in (created.text or ""):
                break
            time.sleep(2)
        found = re.search(r"/changes/(\d+)$", created.url or "")
        if not found:
            return
        change = f"/changes/{found.group(1)}"
        steps = [
            (self.requester, "submit", "submit", {}, "Submitted for approval."),
            (self.technical, "approve", "decision", {"kind": "technical", "comment": "Looks fine."}, "Approved"),
            (self.operational, "approve", "decision", {"kind": "operational", "comment": ""}, "fully approved"),
            (self.requester, "schedule", "schedule", self._window(people["Erin Engineer"]),
             "Implementation window saved."),
            (self.requester, "start", "start", {}, "Implementation started."),
            (self.requester, "complete", "complete", {"completion_notes": "Done.", "test_results": "All green."},
             "Change completed."),
        ]
        for person, action, prefix, fields, expect in steps:
            person.request("GET", change, "detail: overview")
            response = person.post(f"{change}/{action}", f"transition: {action}", prefix, fields, expect=expect)
            if expect not in (response.text or ""):
                return  # already counted as a failure; leave this change where it stopped
            if action == "start":
                self.requester.post(f"{change}/comments", "comment", "comment", {"text": "Under way."},
                                    expect="Comment added.")

    @staticmethod
    def _window(implementer: str) -> dict:
        start = datetime.now(timezone.utc) + timedelta(days=random.randint(1, 300), hours=random.randint(0, 23))
        end = start + timedelta(hours=2)
        return {"window_start": start.strftime("%Y-%m-%dT%H:00"), "window_end": end.strftime("%Y-%m-%dT%H:00"),
                "implementer_id": implementer, "confirm_conflicts": "y"}
