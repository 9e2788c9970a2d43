"""ConnectWise PSA integration: the REST client (`client`), its errors, conditions builder,
UI deep links, and a strict simulator (`simulator`) for development and tests."""
from cbcw.connectwise.client import ConnectWiseClient
from cbcw.connectwise.conditions import C
from cbcw.connectwise.retry import RetryPolicy

__all__ = ["C", "ConnectWiseClient", "RetryPolicy"]
