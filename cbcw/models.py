"""Every model, imported in one place so Alembic and the app see the whole schema."""
from cbcw.accounts.models import LoginThrottle, User  # noqa: F401
from cbcw.changes.models import Approval, Change, ChangeDevice, TimelineEntry  # noqa: F401
from cbcw.devices.models import Device, DeviceType  # noqa: F401
from cbcw.organisations.models import Company, Organisation  # noqa: F401
from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping, ConnectWiseSettings, MemberMatch  # noqa: F401
from cbcw.scheduler.models import JobLease  # noqa: F401
from cbcw.connectwise.sync.models import SyncRun  # noqa: F401
from cbcw.connectwise.automation.models import OutboxWrite  # noqa: F401
from cbcw.connectwise.drift.models import DriftFinding, DriftRun  # noqa: F401
