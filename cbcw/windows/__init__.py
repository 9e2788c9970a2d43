"""Blackout (freeze) and maintenance windows (PRODUCT §2.5): when changes may not, or preferably
may, be implemented; their recurrence, and what a proposed implementation window meets."""
