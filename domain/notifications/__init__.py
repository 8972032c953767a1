"""Notifications: which events tell whom what (`kinds`), in which words (`templates`), and
the rules of a delivery (`delivery`). Pure: the consumer (`consumers/notify/`) reads the
events and the aggregates, the store's tables (`domain/store/notifications.py`) keep the
records, and the channels send."""
