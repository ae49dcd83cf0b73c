"""Email: members' nudges by mail and their replies acting as commands, residents following a
public page by mail. `notify` registers the commands; the rest is called by the mail adapter
(bot/email) and the web pages."""

from handlers.email import notify  # noqa: F401  (registers the `notify` commands)
