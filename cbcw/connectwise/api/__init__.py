"""The ConnectWise REST API client: HTTP mechanics, the endpoints ChangeBreeze calls, errors,
conditions, answer shapes and UI deep links. Knows nothing of the product's models."""
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.retry import RetryPolicy

__all__ = ["C", "ConnectWiseClient", "RetryPolicy"]
