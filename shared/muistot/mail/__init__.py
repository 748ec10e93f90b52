"""Outgoing mail: messages are queued in Redis by the services and delivered by `muistot worker`.

`templates` builds every mail from one table of texts, `outbox.enqueue` queues it encrypted,
`delivery.Courier` (run by the `deliver_mail` job in `muistot.jobs`) decrypts and sends it through a
driver from `drivers`.
"""

from muistot.mail.outbox import MailMessage, enqueue

__all__ = ["MailMessage", "enqueue"]
