"""Drift check (PRODUCT §3.9): does each open change's ConnectWise ticket still show what the
change's events should have produced? Expected state (`expected`), comparison (`compare`), the
run over an organisation (`check`), re-apply through the outbox (`reapply`), page and CLI."""
