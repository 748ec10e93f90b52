"""Outgoing mail: messages are queued in Redis by the services and delivered by `muistot worker`.

`templates` builds the login mails, `outbox.enqueue` queues them, `delivery.Courier` (run by the
`deliver_mail` job in `muistot.jobs`) sends them through a driver from `drivers`.
"""

from muistot.mail.outbox import MailMessage, enqueue

__all__ = ["MailMessage", "enqueue"]
