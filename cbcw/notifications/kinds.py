"""The kinds of notification a user can choose a channel for on /profile, and the channels."""

KINDS = {
    "awaiting_approval": "A change awaits my approval",
    "approved": "My change was approved",
    "rejected": "My change was rejected",
    "failed": "My change failed",
    "review_due": "My change's post-implementation review is due",
    "scheduled": "I implement a change (calendar invitation, updated and cancelled with it)",
    "window_soon": "An hour before a window I implement starts",
    "digest": "Daily digest of approvals waiting more than a day",
}
CHANNELS = {"email": "E-mail and in-app", "in_app": "In-app only", "off": "Off"}
DEFAULT_CHANNEL = "email"
