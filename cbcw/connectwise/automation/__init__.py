"""Lifecycle automation (PRODUCT §3.7, §3.8): change events become ConnectWise writes, stored in an
outbox with the event and delivered exactly once, in order per ticket."""
