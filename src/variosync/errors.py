"""The one exception tree of VarioSync.

Every error a user can meet carries a message (what went wrong, where), an optional hint (how to
fix it), a CLI exit code and an HTTP status. Front ends turn them into output; nothing else
catches and hides them::

    VarioSyncError                      exit 1   HTTP 500
    ├── ConfigError                     exit 2   HTTP 500   bad settings or environment
    ├── UsageError                      exit 2   HTTP 422   bad argument or option value
    ├── NotFoundError                   exit 3   HTTP 404   unknown dataset, version, series
    ├── ConflictError                   exit 4   HTTP 409   name taken, concurrent write lost
    ├── AuthError                       exit 7   HTTP 401   no, bad or expired credentials
    ├── ForbiddenError                  exit 7   HTTP 403   signed in, but not allowed (admin only)
    ├── PaymentRequiredError            exit 8   HTTP 402   the hour balance cannot cover it
    ├── TooLargeError                   exit 5   HTTP 413   an upload over the size limit
    ├── RateLimitedError                exit 9   HTTP 429   too many requests; retry after N s
    ├── InputError                      exit 5   HTTP 422   a file that cannot be ingested
    │   ├── UnknownFormatError                              no reader recognises the bytes
    │   ├── ReadError                                       a reader failed (truncated, corrupt)
    │   ├── TimestampError                                  no usable time column
    │   └── RejectedRowsError                               --strict and rows were rejected
    ├── StorageError                    exit 6   HTTP 503   the store or catalog failed
    └── UpstreamError                   exit 6   HTTP 502   a service we call (Supabase Auth) failed
"""

from __future__ import annotations

CLI_USER_AGENT = "variosync-cli/"
"""The User-Agent prefix of the CLI's client for a server: the server words errors for the
command line (``--fields``, `variosync datasets`) for it, in API terms for everyone else."""


class VarioSyncError(Exception):
    """Base class: a user-facing message plus an optional hint."""

    exit_code = 1
    http_status = 500
    code = "internal_error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(VarioSyncError):
    """Settings or environment are unusable."""

    exit_code = 2
    code = "config_error"


class UsageError(VarioSyncError):
    """An argument or option value is invalid; ``field`` names it where known (the option's
    plain name, e.g. ``every``), for front ends that point at the parameter (the API's body)."""

    exit_code = 2
    http_status = 422
    code = "invalid_parameter"

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.field = field


class NotFoundError(VarioSyncError):
    """A dataset, version or other named thing does not exist."""

    exit_code = 3
    http_status = 404
    code = "not_found"


class ConflictError(VarioSyncError):
    """The request conflicts with the current state (a name taken, a write lost a race)."""

    exit_code = 4
    http_status = 409
    code = "conflict"


class AuthError(VarioSyncError):
    """Missing, unknown, revoked or expired credentials, or a wrong password."""

    exit_code = 7
    http_status = 401
    code = "unauthenticated"


class ForbiddenError(VarioSyncError):
    """Signed in, but the account may not do this (an admin-only action, a disabled account)."""

    exit_code = 7
    http_status = 403
    code = "forbidden"


class PaymentRequiredError(VarioSyncError):
    """The hour balance cannot cover the operation's estimated cost; nothing was done."""

    exit_code = 8
    http_status = 402
    code = "insufficient_hours"

    def __init__(
        self, message: str, *, balance_hours: float, cost_hours: float, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.balance_hours = balance_hours
        self.cost_hours = cost_hours


class TooLargeError(VarioSyncError):
    """An upload is larger than the server accepts."""

    exit_code = 5
    http_status = 413
    code = "too_large"


class RateLimitedError(VarioSyncError):
    """Too many requests of one kind (a budget of the account or of the client address) in
    its window; ``retry_after_s`` says when one more will be accepted."""

    exit_code = 9
    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or f"retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class InputError(VarioSyncError):
    """A file or payload cannot be ingested."""

    exit_code = 5
    http_status = 422
    code = "invalid_input"


class UnknownFormatError(InputError):
    """No reader recognises the file."""

    code = "unknown_format"


class ReadError(InputError):
    """A reader recognised the format but could not read the file."""

    code = "read_error"


class TimestampError(InputError):
    """No usable time column could be found or parsed."""

    code = "timestamp_error"


class RejectedRowsError(InputError):
    """Rows were rejected and the caller asked for all-or-nothing (``--strict``)."""

    code = "rejected_rows"


class StorageError(VarioSyncError):
    """The store or the catalog failed."""

    exit_code = 6
    http_status = 503
    code = "storage_error"


class UpstreamError(VarioSyncError):
    """A service VarioSync calls on the user's behalf (Supabase Auth) failed or did not answer."""

    exit_code = 6
    http_status = 502
    code = "upstream_error"
