"""The one exception handlers raise to refuse a command with a friendly explanation."""


class UserError(Exception):
    """Bad input or a refused action: the message is shown to the person as it is,
    and the command's transaction is rolled back so nothing changes."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
