"""Expected refusals: shown to the person as an ephemeral message, nothing changed."""


class UserError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
