"""The one exception the change domain raises for a refusal."""


class LifecycleError(Exception):
    """An action refused by the rules; str(e) is the clear message shown to the user."""
