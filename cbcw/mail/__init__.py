"""Outgoing e-mail (PRODUCT §2.9): an outbox table sent by the scheduler over SMTP."""
