import pytest

from cbcw.connectwise.mappings import get_settings
from tests.fixtures.cw_simulator import CW_COMPANY_ID, CW_PRIVATE_KEY, CW_PUBLIC_KEY


@pytest.fixture
def cw_settings(db, org, cw_sim):
    """The organisation's ConnectWise settings, pointing at the live simulator."""
    settings = get_settings(org.id)
    settings.enabled = True
    settings.base_url = cw_sim.base_url
    settings.cw_company_id = CW_COMPANY_ID
    settings.public_key = CW_PUBLIC_KEY
    settings.private_key = CW_PRIVATE_KEY
    db.session.commit()
    return settings


@pytest.fixture
def settings_url():
    return "/settings/integrations/connectwise"
