"""Outgoing mail: messages are queued in Redis by the services and delivered by `muistot worker`."""

from muistot.mail.outbox import MailMessage, enqueue

__all__ = ["MailMessage", "enqueue"]
