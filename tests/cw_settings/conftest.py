import pytest

from cbcw.connectwise.settings.mappings import get_settings
from tests.fixtures.cw_simulator import point_at_simulator


@pytest.fixture
def cw_settings(db, org, cw_sim):
    """The organisation's ConnectWise settings, pointing at the live simulator."""
    settings = get_settings(org.id)
    point_at_simulator(settings, cw_sim)
    db.session.commit()
    return settings


@pytest.fixture
def settings_url():
    return "/settings/integrations/connectwise"
