"""Every model of the core, imported in one place so Alembic and the app see the whole schema; each
integration's own models are imported by `cbcw.integrations.registry` from its declaration."""
from cbcw.accounts.delegation import Delegation  # noqa: F401
from cbcw.accounts.email_changes import EmailChange  # noqa: F401
from cbcw.accounts.invitations import Invitation  # noqa: F401
from cbcw.accounts.models import LoginThrottle, User  # noqa: F401
from cbcw.calendar.models import CalendarFeed  # noqa: F401
from cbcw.changes.models import Approval, Change, ChangeDevice, TimelineEntry  # noqa: F401
from cbcw.changes.type_models import (  # noqa: F401
    ChangePolicy, ChangeReview, ChangeTemplate, RiskQuestion, TemplateVersion,
)
from cbcw.devices.models import Device, DeviceType  # noqa: F401
from cbcw.organisations.models import Company, Organisation  # noqa: F401
from cbcw.mail.models import MailMessage  # noqa: F401
from cbcw.notifications.models import (  # noqa: F401
    CalendarInvitation, Notification, NotificationPreference, SentReminder,
)
from cbcw.scheduler.models import JobLease  # noqa: F401
from cbcw.windows.models import ScheduleWindow  # noqa: F401
