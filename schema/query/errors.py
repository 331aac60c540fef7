"""The two ways a gallery question can fail, so the web layer can answer 400 or 503."""

from __future__ import annotations


class QueryError(ValueError):
    """Bad user input: `field` names the parameter, `message` says what to fix (HTTP 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class QueryTimeout(RuntimeError):
    """RediSearch gave up on a query (the server runs with ON_TIMEOUT FAIL): HTTP 503.

    Raised instead of returning partial results, which would silently skip pictures.
    """
