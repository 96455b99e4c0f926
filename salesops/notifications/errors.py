"""The error every sender raises when a delivery did not arrive."""

from __future__ import annotations


class DeliveryError(Exception):
    """A channel or receiver refused or could not take a delivery; ``str()`` is the reason
    shown on the deliveries page. ``retry`` is False when trying again cannot help (a
    client error, an address we refuse to call); ``status_code`` is the HTTP status the
    receiver answered, if it answered."""

    def __init__(self, message: str, *, retry: bool = True, status_code: int | None = None):
        super().__init__(message)
        self.retry = retry
        self.status_code = status_code
