"""Email as a channel: mail out through the operator's SMTP server, replies in from a mailbox.

- servers.py: SMTP_URL and IMAP_URL, reached over TLS, and the checks `doctor` runs;
- render.py: a queued mail as the message sent (text and HTML, threading, unsubscribe headers);
- sender.py: the outbox sent through one SMTP connection per hundred mails;
- delivery.py: the scheduler's Delivery, sending nudges by mail to people who chose it;
- gateway.py: a received mail turned into the same call a chat command makes;
- inbox.py: the IMAP mailbox, polled and watched (IDLE);
- app.py: what `partnerbot run` starts when SMTP_URL or IMAP_URL is set.
"""
