"""The exceptions of shmkit: one class per kind of failure of the C API (shmkit.h).

Every exception a channel call raises is a :class:`ShmkitError`. Its text is the message the
commands print for the same failure (``shmkit_last_error()``: it names the channel and the fix),
``status`` is the sysexits code the commands exit with, and ``kind`` says which failure it was,
more precisely than the code. A few classes also derive from the built-in exception a Python
programmer would catch for the same thing (``TimeoutError``, ``PermissionError``,
``ValueError``).
"""

from __future__ import annotations

import enum

__all__ = [
    "Status",
    "ErrorKind",
    "ShmkitError",
    "ChannelNotFound",
    "ChannelClosed",
    "TooManyClients",
    "MessageTooLarge",
    "Unrepresentable",
    "HeaderMismatch",
    "ChannelDamaged",
    "Timeout",
    "PermissionDenied",
    "InvalidArgument",
    "InvalidName",
    "SystemCallFailed",
    "LibraryNotFound",
]


class Status(enum.IntEnum):
    """The status codes of shmkit.h (sysexits(3)), the exit codes of shm-writer and shm-reader."""

    OK = 0
    USAGE = 64
    DATAERR = 65
    UNAVAILABLE = 69
    OSERR = 71
    TEMPFAIL = 75
    NOPERM = 77


class ErrorKind(enum.IntEnum):
    """``enum shmkit_error_kind``: what the last failure was."""

    NONE = 0
    NOT_FOUND = 1
    CLOSED = 2
    TOO_MANY_CLIENTS = 3
    TOO_LARGE = 4
    UNREPRESENTABLE = 5
    HEADER_MISMATCH = 6
    DAMAGED = 7
    TIMEOUT = 8
    PERMISSION = 9
    INVALID_ARGUMENT = 10
    INVALID_NAME = 11
    SYSTEM = 12


class ShmkitError(Exception):
    """A failed channel call.

    ``str(error)`` is the commands' message, ``status`` the sysexits code (an ``int``, a
    :class:`Status` when it is one of shmkit.h's), ``kind`` the :class:`ErrorKind`.
    """

    status: int
    kind: ErrorKind
    message: str
    #: For Writer.send_batch: how many of the batch's first messages were sent before it.
    sent: int | None = None

    def __init__(self, message: str, status: int, kind: ErrorKind) -> None:
        super().__init__(message)
        self.message = message
        try:
            self.status = Status(status)
        except ValueError:
            self.status = status
        self.kind = kind

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={int(self.status)}, kind={self.kind.name})"


class ChannelNotFound(ShmkitError):
    """No such channel (after the wait): is shmd running, with this channel and prefix? (69)"""


class ChannelClosed(ShmkitError):
    """shmd closed the channel; for a reader, every queued message was taken. (69)"""


class TooManyClients(ShmkitError):
    """The channel's client table is full. (69)"""


class MessageTooLarge(ShmkitError):
    """A message larger than a slot of the channel. (65)"""


class Unrepresentable(ShmkitError):
    """A message the channel's layout cannot carry (a NUL byte on a seed-layout channel). (65)"""


class HeaderMismatch(ShmkitError):
    """The channel's header is not one this library understands (another shmd version). (65)"""


class ChannelDamaged(ShmkitError):
    """The channel's segment is corrupt, truncated or empty; shmd replaces it within a sweep. (65)"""


class Timeout(ShmkitError, TimeoutError):
    """The timeout passed before a message or a free slot came. (75)"""


class PermissionDenied(ShmkitError, PermissionError):
    """The caller may not open the channel's objects. (77)"""


class InvalidArgument(ShmkitError, ValueError):
    """A bad argument or use: a negative or nan timeout, a buffer smaller than the channel's
    largest message, a second borrow, a call on a closed Writer or Reader. (64)"""


class InvalidName(InvalidArgument):
    """A channel name or prefix that cannot form a POSIX IPC name. (64)"""


class SystemCallFailed(ShmkitError):
    """Any other failed system call. (71)"""


class LibraryNotFound(OSError):
    """libshmkit could not be loaded; the message names every path tried and the fix."""


_BY_KIND: dict[ErrorKind, type[ShmkitError]] = {
    ErrorKind.NOT_FOUND: ChannelNotFound,
    ErrorKind.CLOSED: ChannelClosed,
    ErrorKind.TOO_MANY_CLIENTS: TooManyClients,
    ErrorKind.TOO_LARGE: MessageTooLarge,
    ErrorKind.UNREPRESENTABLE: Unrepresentable,
    ErrorKind.HEADER_MISMATCH: HeaderMismatch,
    ErrorKind.DAMAGED: ChannelDamaged,
    ErrorKind.TIMEOUT: Timeout,
    ErrorKind.PERMISSION: PermissionDenied,
    ErrorKind.INVALID_ARGUMENT: InvalidArgument,
    ErrorKind.INVALID_NAME: InvalidName,
    ErrorKind.SYSTEM: SystemCallFailed,
}

# A kind this package does not know yet (a newer minor version of the library): by status.
_BY_STATUS: dict[int, type[ShmkitError]] = {
    Status.USAGE: InvalidArgument,
    Status.DATAERR: ChannelDamaged,
    Status.UNAVAILABLE: ChannelNotFound,
    Status.OSERR: SystemCallFailed,
    Status.TEMPFAIL: Timeout,
    Status.NOPERM: PermissionDenied,
}


def error_for(status: int, kind: int, message: str) -> ShmkitError:
    """The exception for a failed call that returned ``status``, with the thread's last error."""
    try:
        known = ErrorKind(kind)
    except ValueError:
        known = ErrorKind.NONE
    cls = _BY_KIND.get(known) or _BY_STATUS.get(status, ShmkitError)
    return cls(message, status, known)
