from datetime import datetime, time

import pytest

from cbcw.windows.models import ScheduleWindow


@pytest.fixture
def make_window(db, org):
    def make(**fields):
        fields.setdefault("organisation_id", org.id)
        fields.setdefault("kind", "blackout")
        fields.setdefault("timezone", "UTC")
        window = ScheduleWindow(**fields)
        db.session.add(window)
        db.session.commit()
        return window
    return make


@pytest.fixture
def christmas_freeze(make_window, company):
    """Acme's Christmas freeze, 24 Dec 2030 – 2 Jan 2031 London time."""
    return make_window(name="Christmas freeze", reason="Client's peak season", company_id=company.id,
                       timezone="Europe/London", recurrence="once",
                       starts_local=datetime(2030, 12, 24), ends_local=datetime(2031, 1, 2))


@pytest.fixture
def weekly_maintenance(make_window, company):
    """Acme accepts changes Saturdays 20:00–24:00 London time."""
    return make_window(name="Saturday evenings", kind="maintenance", company_id=company.id, timezone="Europe/London",
                       recurrence="weekly", weekdays="5", start_time=time(20), end_time=time(0))
