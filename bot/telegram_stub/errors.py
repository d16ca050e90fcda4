"""Errors the stand-in answers with, in Telegram's own words.

Descriptions follow what api.telegram.org sends ("Bad Request: ...",
"Forbidden: ...") because PTB turns them into exception messages and bots
sometimes match on them. Where Telegram's exact wording is not known, the text
is a close approximation; those places are marked in the calling code.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A non-ok Bot API answer: HTTP status, description and optional parameters."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str, **parameters: Any) -> ApiError:
    return ApiError(400, f"Bad Request: {message}", parameters or None)


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def conflict(message: str) -> ApiError:
    return ApiError(409, f"Conflict: {message}")


class DriverError(Exception):
    """The test or demo asked the stand-in for something impossible.

    Raised by the driver API (not over HTTP) so that a mistake in a test —
    a user writing in a group they are not in, pressing a button that does not
    exist — fails loudly at the line that made it.
    """
