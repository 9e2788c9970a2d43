"""The calendar: an agenda of implementation windows by week or month (PRODUCT §2.5)."""
