"""The instant tests stop the clock at, so what they check never depends on when they run."""
from datetime import datetime, timezone

# A Tuesday at 03:30 UTC, the hour main's CI once failed at (14:30 in Sydney, the same day in London).
FROZEN_NOW = datetime(2026, 12, 8, 3, 30, tzinfo=timezone.utc)
