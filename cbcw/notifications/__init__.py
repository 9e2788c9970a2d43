"""Notifications (PRODUCT §2.9): who hears of what, by e-mail (the mail outbox) and in the inbox."""
