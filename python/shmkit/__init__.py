"""shmkit: shmd's shared-memory message channels from Python, over libshmkit (the C API).

    import shmkit

    with shmkit.Writer("demo", wait=5) as writer:
        writer.send(b"hello")

    with shmkit.Reader("demo") as reader:
        for message in reader:          # ends when shmd closes the channel
            print(message)

Timeouts and waits are in seconds. ``timeout=None`` (the default) waits as long as the channel
is open, ``timeout=0`` tries once; ``wait=None`` (the default) or ``0`` looks for the channel
once, ``wait=FOREVER`` waits for shmd to create it without a limit. A negative or nan value is
refused with InvalidArgument before anything is taken.

On a fan-out channel (``delivery = "fanout"``) every Reader gets every message, from the next
one written (``from_="next"``, the default) or from the oldest still in the ring
(``from_="oldest"``); ``reader.lost`` and ``reader.take_gap()`` count what a lapped reader of a
``slow-reader = "drop"`` channel missed.

A Writer or a Reader is for one thread at a time: give each thread its own. Every failure is a
ShmkitError subclass carrying the commands' message, ``status`` (their exit code) and ``kind``.
"""

from ._channel import FOREVER, Borrowed, BytesLike, Reader, Start, Writer
from ._native import path as library_path
from .errors import (
    ChannelClosed,
    ChannelDamaged,
    ChannelNotFound,
    ErrorKind,
    HeaderMismatch,
    InvalidArgument,
    InvalidName,
    LibraryNotFound,
    MessageTooLarge,
    PermissionDenied,
    ShmkitError,
    Status,
    SystemCallFailed,
    Timeout,
    TooManyClients,
    Unrepresentable,
)

__version__ = "1.1.0"

__all__ = [
    "Writer",
    "Reader",
    "Borrowed",
    "Start",
    "BytesLike",
    "FOREVER",
    "library_path",
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
