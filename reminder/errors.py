"""The one exception hierarchy of the package.

    ReminderError
    ├── InputError            bad input: config, contacts, campaigns, templates (exit 2)
    ├── UsageError            a command asked for something that cannot be (exit 2)
    │   └── QuietHoursError   a dispatch would reach phones inside the quiet hours
    ├── NotApprovedError      approval is required and the content was not approved as it is
    ├── PermissionDeniedError the user's role or the four-eyes rule does not allow the action
    ├── OperationalError      the environment stopped a command: store, network (exit 1)
    │   ├── MissingExtraError an optional dependency is not installed
    │   └── CredentialError   a gateway's credential is not in the environment, or the
    │                         provider refused it: nothing went through that gateway
    └── GatewayError          a gateway could not send one message
        ├── TransientGatewayError   not sent; worth retrying later
        ├── PermanentGatewayError   not sent; retrying will not help
        │   └── TemplateRejectedError   the provider refuses the push's template or signature:
        │                               every message of the push would fail alike
        ├── DeferredGatewayError    not sent; this number may be tried again after `retry_after`
        │                           (a provider's per-number daily limit): never hammered
        ├── GatewayStoppedError     the provider refuses the account (quota, balance, suspended):
        │                           stop sending through this gateway and tell the operator
        └── AmbiguousGatewayError   the request may have reached the provider (timeout after
                                    sending, connection lost): never retried blindly

Only the CLI (and later the scheduler and web) boundaries catch broadly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from reminder.i18n import _


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located by file and line or field."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}: {self.message}"
        if self.field:
            return f"{self.file}: {self.field}: {self.message}"
        return f"{self.file}: {self.message}"


def display_path(path: Path | str) -> str:
    """A path as a person wants to read it: relative to the working directory when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class ReminderError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1


class InputError(ReminderError):
    """One or more problems with the user's files; carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(ReminderError):
    """The command asked for something that cannot be done as asked."""

    exit_code = 2


class QuietHoursError(UsageError):
    """No reminder may arrive now: it is `local` in `zone`, inside the quiet hours."""

    def __init__(self, local: datetime, zone: str, start: time, end: time) -> None:
        self.local, self.zone, self.start, self.end = local, zone, start, end
        super().__init__(
            _(
                "it is {local:%H:%M} in {zone}, inside the quiet hours {start:%H:%M}–{end:%H:%M}: "
                "no reminder may arrive now"
            ).format(local=local, zone=zone, start=start, end=end)
        )


class NotApprovedError(ReminderError):
    """Nothing was sent: approval is required, and there is none matching what would go now
    (never requested, not granted yet, rejected, or the content changed since)."""

    exit_code = 1


class PermissionDeniedError(ReminderError):
    """The user may not do this: their role, a disabled account, or the four-eyes rule."""

    exit_code = 1


class OperationalError(ReminderError):
    """Something outside the user's files stopped the command (store, network, disk)."""

    exit_code = 1


class MissingExtraError(OperationalError):
    """An optional dependency is needed; the message says how to install it."""


class CredentialError(OperationalError):
    """A gateway cannot send: the environment variable holding its credential is not set, or
    the provider refused the credential. The message names the gateway and the variable (never
    a value); exit 1, like every error of the environment rather than of the user's files."""


class GatewayError(ReminderError):
    """A gateway could not send one message; `code` is the provider's error code."""

    transient = False

    def __init__(self, text: str, *, code: str | None = None, status: int | None = None) -> None:
        self.code = code
        self.text = text
        self.status = status
        super().__init__(f"[{code}] {text}" if code else text)


class TransientGatewayError(GatewayError):
    """The send may succeed if retried later (rate limit, server error, timeout)."""

    transient = True


class PermanentGatewayError(GatewayError):
    """The send will fail again if retried (invalid number, unsubscribed, bad request)."""


class AmbiguousGatewayError(GatewayError):
    """The request may or may not have reached the provider; resending could duplicate it."""


class TemplateRejectedError(PermanentGatewayError):
    """The provider refuses the template, its parameters or the signature: every message of the
    push would fail alike, so the push fails fast instead of burning its audience."""


class DeferredGatewayError(GatewayError):
    """The provider will not take this number now (a per-number daily limit); it may be tried
    again after `retry_after` seconds (None: the next day), never sooner."""

    def __init__(
        self,
        text: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(text, code=code, status=status)
        self.retry_after = retry_after


class GatewayStoppedError(GatewayError):
    """The provider refuses the whole account (daily or monthly quota, balance, suspended):
    nothing more can go through this gateway until the operator acts."""
