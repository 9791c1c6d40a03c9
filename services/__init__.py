"""The domain: rules and workflows as plain functions over a session."""


class DomainError(Exception):
    """A rule refused an action. ``message`` is for the user; ``field`` names the input it
    concerns ("contacts.email": the e-mail of one of the contacts, the one holding ``value``)."""

    def __init__(self, message: str, field: str | None = None, value: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
