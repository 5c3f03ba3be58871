"""Writer and Reader: a channel's two ends, over libshmkit's handles (shmkit.h)."""

from __future__ import annotations

import array
import ctypes
import enum
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from ctypes import byref, c_char, c_char_p, c_double, c_size_t, c_void_p
from types import TracebackType
from typing import Any, Union

from . import _native
from .errors import ChannelClosed, InvalidArgument, ErrorKind, ShmkitError, Status, error_for

__all__ = ["Writer", "Reader", "Borrowed", "Start", "FOREVER", "BytesLike"]

#: No limit, for a ``timeout`` or a ``wait`` (``SHMKIT_FOREVER``, +infinity).
FOREVER: float = math.inf

#: What ``send`` takes: any C-contiguous buffer of bytes.
BytesLike = Union[bytes, bytearray, memoryview]


class Start(str, enum.Enum):
    """Where a fan-out channel's Reader starts (``enum shmkit_start``), by the names of
    ``shm-reader --from``; each member equals its name, so ``from_="oldest"`` is the same as
    ``from_=Start.OLDEST``.
    """

    #: The next message written after the reader attached (``SHMKIT_FROM_NEXT``).
    NEXT = "next"
    #: The oldest message still in the ring, then everything after: up to ``slots`` messages
    #: written before the reader attached (``SHMKIT_FROM_OLDEST``).
    OLDEST = "oldest"


# SHMKIT_FROM_OLDEST of enum shmkit_start.
_FROM_OLDEST = 1


def _start(value: object, name: object) -> Start:
    """``from_`` as a Start: a member, or the str of one; anything else is refused here."""
    if not isinstance(value, str):  # a Start is a str too
        raise TypeError(f"from_ must be 'next', 'oldest' or a shmkit.Start, not {type(value).__name__}")
    try:
        return Start(value)
    except ValueError:
        raise InvalidArgument(
            f"invalid use of channel '{name}': from_ is {value!r}, neither 'next' nor 'oldest' (shmkit.Start.NEXT, shmkit.Start.OLDEST)",
            Status.USAGE,
            ErrorKind.INVALID_ARGUMENT,
        ) from None


# A wait without a limit is made of slices of this many seconds, so that the interpreter runs
# signal handlers (KeyboardInterrupt) between them: a C call does not return for a signal.
_SLICE = 0.25

_TEMPFAIL = int(Status.TEMPFAIL)

# receive_batch copies into a buffer of the reader's, of max_count slots, but never more than
# this many bytes (and at least one slot): receive_batch(10**9) takes what fits.
_BATCH_BYTES = 4 << 20

# The calls on every message take ctypes objects made beforehand (see _native.raw): these are
# the timeouts they pass most.
_SLICE_SECONDS = c_double(_SLICE)
_NO_WAIT = c_double(0.0)

# A read-only memoryview over memory the library owns, without a copy. Its own function
# object (PyDLL: it holds the GIL, as the C API needs), called without argtypes too.
_memory_view = ctypes.PyDLL(None).PyMemoryView_FromMemory
_memory_view.restype = ctypes.py_object
_PYBUF_READ = ctypes.c_int(0x100)


def _last_error(lib: ctypes.CDLL, status: int) -> ShmkitError:
    """The exception for ``status``, with the calling thread's last error text and kind."""
    text = lib.shmkit_last_error()
    return error_for(status, lib.shmkit_last_error_kind(), text.decode("utf-8", "replace") if text else "")


def _seconds(value: float | None, none: float) -> float:
    """A ``timeout`` or ``wait`` in seconds for the C API; ``None`` becomes ``none``.

    A negative or nan value is passed on: the library refuses it with its own message (64).
    """
    if value is None:
        return none
    return float(value)


def _encode(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, not {type(text).__name__}")
    return text.encode("utf-8")


def _writable(buffer: object) -> tuple[ctypes.Array[c_char], int]:
    """A ctypes view of the writable, C-contiguous ``buffer`` (no copy) and its size in bytes."""
    try:
        view = memoryview(buffer)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"receive_into needs a writable buffer (bytearray, memoryview, array), not {type(buffer).__name__}") from None
    with view:
        if view.readonly:
            raise TypeError(f"receive_into needs a writable buffer, and this {type(buffer).__name__} is read-only")
        if not view.c_contiguous:
            raise TypeError("receive_into needs a C-contiguous buffer")
        size = view.nbytes
    return (c_char * size).from_buffer(buffer), size  # type: ignore[arg-type]


class _Handle:
    """What Writer and Reader share: the library, the handle, its channel and its close."""

    _kind = ""
    _lib: ctypes.CDLL
    _handle: c_void_p | None

    def __init__(self, name: str, prefix: str, wait: float | None) -> None:
        self._handle = None
        self._closed = True
        lib = _native.load()
        self._lib = lib
        self._raw = _native.raw()
        self.name: str = name
        self.prefix: str = prefix
        handle = c_void_p()
        channel, prefix_bytes = _encode(name, "name"), _encode(prefix, "prefix")
        open_ = self._opener(lib)
        seconds = _seconds(wait, 0.0)
        if seconds == math.inf:
            # No limit: slices, so that Ctrl-C is not held off until shmd creates the channel.
            while True:
                status = open_(channel, prefix_bytes, _SLICE, byref(handle))
                # Not there yet, or created and not yet sized (the library's "0 bytes"): again.
                if status == 0 or lib.shmkit_last_error_kind() not in (ErrorKind.NOT_FOUND, ErrorKind.DAMAGED):
                    break
        else:
            status = open_(channel, prefix_bytes, seconds, byref(handle))
        if status:
            raise _last_error(lib, status)
        self._handle = handle
        self._closed = False
        self._max = int(getattr(lib, f"shmkit_{self._kind}_max_message_size")(handle))

    def _opener(self, lib: ctypes.CDLL) -> Callable[[bytes, bytes, Any, Any], int]:
        """The C function that attaches, as ``open_(channel, prefix, wait, byref(handle))``."""
        return getattr(lib, f"shmkit_{self._kind}_open")  # type: ignore[no-any-return]

    @property
    def max_message_size(self) -> int:
        """The largest message the channel carries, in bytes (its slot size)."""
        return self._max

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    def close(self) -> None:
        """Detaches from the channel (a claimed slot or a borrowed message is given back first).

        Later calls raise InvalidArgument; closing twice is fine.
        """
        if self._handle is not None and not self._closed:
            self._closed = True
            getattr(self._lib, f"shmkit_{self._kind}_close")(self._handle)

    def __del__(self) -> None:
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            try:
                getattr(self._lib, f"shmkit_{self._kind}_free")(handle)
            except Exception:  # interpreter shutdown: the library may be gone already
                pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"max_message_size={self._max}"
        return f"{type(self).__name__}({self.name!r}, prefix={self.prefix!r}, {state})"


class Writer(_Handle):
    """The writing end of channel ``name`` under ``prefix``.

    ``wait`` is how long to wait for shmd to create the channel, in seconds: ``None`` (the
    default) or ``0`` looks once, ``FOREVER`` (``math.inf``) waits without a limit.

    A Writer is for one thread at a time; give each thread its own (several writers may share a
    channel). It is a context manager: leaving the ``with`` block closes it.

    Raises:
        ChannelNotFound, PermissionDenied, InvalidName, InvalidArgument, HeaderMismatch,
        TooManyClients, ShmkitError: as the commands fail for the same reason.
    """

    _kind = "writer"

    def __init__(self, name: str, prefix: str = "shmd", wait: float | None = None) -> None:
        super().__init__(name, prefix, wait)
        self._send = self._raw.shmkit_send
        self._send_batch = self._raw.shmkit_send_batch
        self._sent = c_size_t()
        self._length = c_size_t()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def send(self, message: BytesLike, timeout: float | None = None) -> None:
        """Copies ``message`` into a free slot and publishes it.

        ``timeout`` bounds the wait for a free slot while the channel is full, in seconds:
        ``None`` (the default) waits as long as the channel is open, ``0`` tries once.

        Raises:
            MessageTooLarge: larger than max_message_size (nothing sent).
            Timeout: no free slot in time (not sent).
            ChannelClosed: shmd closed the channel (not sent).
            InvalidArgument: a negative or nan timeout, a closed writer.
        """
        length = self._length
        if type(message) is bytes:
            length.value = len(message)
            data: object = message
        else:
            data, length.value = self._pointer(message)
        if timeout is None:
            status = self._send(self._handle, data, length, _SLICE_SECONDS)
            while status == _TEMPFAIL:
                status = self._send(self._handle, data, length, _SLICE_SECONDS)
        else:
            status = self._send(self._handle, data, length, c_double(timeout))
        if status:
            raise _last_error(self._lib, status)

    @staticmethod
    def _pointer(message: BytesLike) -> tuple[object, int]:
        """``message`` as an argument for a ``const void *`` and its length in bytes."""
        if isinstance(message, bytes):
            return message, len(message)
        try:
            view = memoryview(message)
        except TypeError:
            raise TypeError(f"a message is bytes, bytearray or memoryview, not {type(message).__name__}") from None
        with view:
            if not view.c_contiguous:
                raise TypeError("a message must be a C-contiguous buffer")
            size = view.nbytes
            if view.readonly:
                # ctypes takes no pointer into a read-only buffer but bytes: one copy.
                return view.tobytes(), size
        if size == 0:
            return None, 0
        return (c_char * size).from_buffer(message), size

    def send_batch(self, messages: Sequence[BytesLike], timeout: float | None = None) -> int:
        """Sends ``messages`` in order, with as few cursor updates and wake-ups as the free
        slots allow; ``timeout`` is one deadline for the whole batch (``None``: no limit, ``0``:
        what fits in the free slots now).

        Returns how many were sent: all of them. On a failure the exception's ``sent`` says
        how many of the first ones were sent; the rest were not. A message larger than a slot
        fails the batch before any is sent.
        """
        count = len(messages)
        if count == 0:
            if self._closed:  # the library says it the same way for any call on a closed handle
                self._raise_status(self._send(self._handle, None, c_size_t(0), _NO_WAIT))
            return 0
        # One buffer of them all, back to back, and the arrays of their lengths and addresses
        # in it: a few C-speed passes over the list, where a ctypes array of pointers would
        # cost about 0.7 us per message to fill.
        lengths = array.array("L", map(len, messages))
        try:
            data = b"".join(messages)
        except (TypeError, BufferError):
            raise TypeError("a message is bytes, bytearray or memoryview (C-contiguous)") from None
        if len(data) != sum(lengths):  # a memoryview of items larger than a byte: their nbytes
            lengths = array.array("L", (memoryview(m).nbytes for m in messages))
        base = ctypes.cast(c_char_p(data), c_void_p).value or 0
        starts = array.array("L", itertools.accumulate(lengths, initial=base))
        pointers, _ = starts.buffer_info()
        sizes, _ = lengths.buffer_info()
        sent = self._sent
        sent_p = byref(sent)
        if timeout is None:
            status = self._send_batch(self._handle, c_void_p(pointers), c_void_p(sizes), c_size_t(count), _SLICE_SECONDS, sent_p)
            done = sent.value
            while status == _TEMPFAIL and done < count:
                # The rest of the batch, from where the slice ended.
                rest, rest_sizes = c_void_p(pointers + 8 * done), c_void_p(sizes + 8 * done)
                status = self._send_batch(self._handle, rest, rest_sizes, c_size_t(count - done), _SLICE_SECONDS, sent_p)
                done += sent.value
        else:
            status = self._send_batch(self._handle, c_void_p(pointers), c_void_p(sizes), c_size_t(count), c_double(timeout), sent_p)
            done = sent.value
        if status:
            error = _last_error(self._lib, status)
            error.sent = done
            raise error
        return done

    def _raise_status(self, status: int) -> None:
        if status:
            raise _last_error(self._lib, status)


class Borrowed:
    """``with reader.borrow() as view:``, a read-only memoryview of the next message, in the
    channel's memory without a copy, valid inside the block only.

    Leaving the block releases the view and frees the slot for writers (also when the block
    raises: the message is taken either way). A view or slice kept past the block reads memory
    that a writer reuses: copy what you keep (``bytes(view)``).
    """

    __slots__ = ("_reader", "_timeout", "_view")

    def __init__(self, reader: Reader, timeout: float | None) -> None:
        self._reader = reader
        self._timeout = timeout
        self._view: memoryview | None = None

    def __enter__(self) -> memoryview:
        reader = self._reader
        data, length = reader._borrow_data, reader._borrow_length
        if self._timeout is None:
            status = reader._borrow(reader._handle, data, length, _SLICE_SECONDS)
            while status == _TEMPFAIL:
                status = reader._borrow(reader._handle, data, length, _SLICE_SECONDS)
        else:
            status = reader._borrow(reader._handle, data, length, c_double(self._timeout))
        if status:
            raise _last_error(reader._lib, status)
        # The library's pointer is never NULL on success (1 for an empty message).
        view = _memory_view(reader._borrowed_pointer, reader._borrowed_length, _PYBUF_READ)
        self._view = view
        reader._current = self
        return view  # type: ignore[no-any-return]

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._end(raise_errors=kind is None)

    def _end(self, raise_errors: bool) -> None:
        view, self._view = self._view, None
        if view is None:
            return
        try:
            view.release()
        except BufferError:
            pass  # someone exported it further (numpy, a struct): the header's "undefined" then
        reader = self._reader
        reader._current = None
        if reader._closed:
            return  # close() released the message already
        status = reader._release(reader._handle)
        if status and raise_errors:
            raise _last_error(reader._lib, status)


class Reader(_Handle):
    """The reading end of channel ``name`` under ``prefix``; ``wait`` as for Writer.

    On a queue channel (the default ``delivery``) each message goes to exactly one reader. On a
    fan-out channel (``delivery = "fanout"``, see is_fanout) every reader gets every message,
    from where it joined: ``from_="next"`` (the default), the next message written;
    ``from_="oldest"``, the oldest message still in the ring (up to ``slots`` messages written
    before it attached). A queue channel's readers take the oldest message no reader took,
    whatever ``from_`` says. Where a fan-out channel's writers may lap a slow reader
    (``slow-reader = "drop"``), the reader skips to the oldest intact message; ``lost`` and
    take_gap() say how many it missed.

    Iterating over a Reader yields each message as ``bytes`` and ends when shmd closed the
    channel and every message in it was taken. A Reader is for one thread at a time; it is a
    context manager.

    Raises:
        InvalidArgument: a ``from_`` that is neither "next" nor "oldest", or "oldest" with a
            libshmkit older than 1.1; as Writer otherwise.
        TypeError: a ``from_`` that is not a str (a Start is one).
    """

    _kind = "reader"

    def __init__(self, name: str, prefix: str = "shmd", wait: float | None = None, *, from_: Start | str = "next") -> None:
        #: Where the reader started on a fan-out channel.
        self.from_: Start = _start(from_, name)
        super().__init__(name, prefix, wait)
        raw = self._raw
        self._receive = raw.shmkit_receive
        self._receive_batch = raw.shmkit_receive_batch
        self._borrow = raw.shmkit_borrow
        self._release = raw.shmkit_release
        size = max(self._max, 1)
        self._buffer = ctypes.create_string_buffer(size)
        self._capacity = c_size_t(self._max)
        self._view = memoryview(self._buffer).cast("B")
        self._length = c_size_t()
        self._length_p = ctypes.pointer(self._length)
        self._borrowed_pointer = c_void_p()
        self._borrowed_length = c_size_t()
        self._borrow_data = ctypes.pointer(self._borrowed_pointer)
        self._borrow_length = ctypes.pointer(self._borrowed_length)
        self._current: Borrowed | None = None
        self._batch_buffer: ctypes.Array[c_char] = self._buffer
        self._batch_lengths: ctypes.Array[c_size_t] = (c_size_t * 1)()
        self._batch_sizes = memoryview(self._batch_lengths).cast("B").cast("L")
        self._batch_count = c_size_t()
        # A library older than 1.1 has no fan-out: its channels are all queues, nothing is lost.
        self._fanout = _native.has("shmkit_reader_is_fanout") and bool(self._lib.shmkit_reader_is_fanout(self._handle))
        self._take_gap = raw.shmkit_reader_take_gap if self._fanout else None
        # lost and take_gap() after close(): what they said at the close.
        self._lost_at_close = 0
        self._gap_at_close = 0

    def _opener(self, lib: ctypes.CDLL) -> Callable[[bytes, bytes, Any, Any], int]:
        if self.from_ is Start.NEXT:
            return super()._opener(lib)  # shmkit_reader_open starts there, in every 1.x library
        if not _native.has("shmkit_reader_open_from"):
            raise InvalidArgument(
                f"invalid use of channel '{self.name}': from_='oldest' needs libshmkit 1.1 or later, and {_native.path()} "
                "is older (it has no shmkit_reader_open_from): install a newer libshmkit (`make install` in the shmd checkout)",
                Status.USAGE,
                ErrorKind.INVALID_ARGUMENT,
            )
        open_from = lib.shmkit_reader_open_from
        return lambda channel, prefix, wait, handle: open_from(channel, prefix, wait, _FROM_OLDEST, handle)

    @property
    def is_fanout(self) -> bool:
        """Whether every reader of the channel gets every message (``delivery = "fanout"``).

        False on a queue channel, and with a libshmkit older than 1.1, which has no fan-out.
        """
        return self._fanout

    @property
    def lost(self) -> int:
        """Messages this reader lost since it attached: on a fan-out channel with
        ``slow-reader = "drop"``, those the writers overwrote before it read them. Always 0 on
        other channels, whose writers wait for their readers. After close(), what it had lost
        by then. What a reader received plus ``lost`` is what was written since it joined.
        """
        if self._closed:
            return self._lost_at_close
        return int(self._lib.shmkit_reader_lost(self._handle)) if self._fanout else 0

    def take_gap(self) -> int:
        """Messages lost since the last call (or since the reader attached), and forgets them.

        Called after each receive(), receive_into() or borrow(), or in the body of a ``for``
        loop over the reader, it is the gap just before the message that call returned: how
        many a ``slow-reader = "drop"`` channel's writers overwrote between it and the one
        before. After receive_batch() it is what was lost since the previous call, somewhere
        before or among the batch's messages: take one at a time where the place of a gap
        matters. The gaps add up to ``lost``. Always 0 where ``lost`` is.
        """
        if self._closed:
            gap, self._gap_at_close = self._gap_at_close, 0
            return gap
        if self._take_gap is None:
            return 0
        return int(self._take_gap(self._handle))

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Detaches; a message borrowed with borrow() is released first (its view with it)."""
        if self._fanout and not self._closed:
            self._lost_at_close, self._gap_at_close = self.lost, self.take_gap()
        current = self._current
        if current is not None:
            view, current._view = current._view, None
            self._current = None
            if view is not None:
                try:
                    view.release()
                except BufferError:
                    pass
        super().close()

    def receive(self, timeout: float | None = None) -> bytes:
        """Takes the next message and returns a copy of it.

        ``timeout`` bounds the wait while the channel is empty, in seconds: ``None`` (the
        default) waits as long as the channel is open, ``0`` looks once.

        Raises:
            ChannelClosed: shmd closed the channel and every message was taken.
            Timeout: nothing came in time.
            InvalidArgument: a negative or nan timeout, a closed reader.
        """
        if timeout is None:
            status = self._receive(self._handle, self._buffer, self._capacity, self._length_p, _SLICE_SECONDS)
            while status == _TEMPFAIL:
                status = self._receive(self._handle, self._buffer, self._capacity, self._length_p, _SLICE_SECONDS)
        else:
            status = self._receive(self._handle, self._buffer, self._capacity, self._length_p, c_double(timeout))
        if status:
            raise _last_error(self._lib, status)
        return self._view[: self._length.value].tobytes()

    def receive_into(self, buffer: bytearray | memoryview | array.array[int], timeout: float | None = None) -> int:
        """Takes the next message into the writable ``buffer`` and returns its length.

        ``buffer`` must hold at least max_message_size bytes (InvalidArgument otherwise, before
        anything is taken); ``timeout`` and the errors as for receive.
        """
        target, size = _writable(buffer)
        capacity = c_size_t(size)
        if timeout is None:
            status = self._receive(self._handle, target, capacity, self._length_p, _SLICE_SECONDS)
            while status == _TEMPFAIL:
                status = self._receive(self._handle, target, capacity, self._length_p, _SLICE_SECONDS)
        else:
            status = self._receive(self._handle, target, capacity, self._length_p, c_double(timeout))
        del target
        if status:
            raise _last_error(self._lib, status)
        return self._length.value

    def borrow(self, timeout: float | None = None) -> Borrowed:
        """The next message without a copy: ``with reader.borrow() as view:`` (see Borrowed).

        ``timeout`` and the errors as for receive; a borrow inside another one's block is
        InvalidArgument.
        """
        return Borrowed(self, timeout)

    def receive_batch(self, max_count: int, timeout: float | None = None) -> list[bytes]:
        """Takes up to ``max_count`` messages that are already there, at least one (waiting for
        it up to ``timeout``, as receive), with one cursor update and one wake-up.

        It takes no more than fit in 4 MiB of copies (and one at least): as many slots as
        that holds. ``max_count`` 0 is InvalidArgument, as in the C API.
        """
        if not isinstance(max_count, int):
            raise TypeError(f"max_count must be an int, not {type(max_count).__name__}")
        if max_count < 0:
            raise InvalidArgument(
                f"invalid use of channel '{self.name}': max_count {max_count} is negative",
                Status.USAGE,
                ErrorKind.INVALID_ARGUMENT,
            )
        size = max(self._max, 1)
        if max_count > 1:
            max_count = max(1, min(max_count, _BATCH_BYTES // size))
        if len(self._batch_lengths) < max_count:
            self._batch_sizes.release()
            self._batch_lengths = (c_size_t * max_count)()
            self._batch_sizes = memoryview(self._batch_lengths).cast("B").cast("L")
            self._batch_buffer = ctypes.create_string_buffer(size * max_count)
        buffer, pointer = self._batch_buffer, self._batch_lengths
        capacity, most = c_size_t(size * max_count), c_size_t(max_count)
        count = self._batch_count
        count_p = byref(count)
        if timeout is None:
            status = self._receive_batch(self._handle, buffer, capacity, pointer, most, count_p, _SLICE_SECONDS)
            while status == _TEMPFAIL:
                status = self._receive_batch(self._handle, buffer, capacity, pointer, most, count_p, _SLICE_SECONDS)
        else:
            status = self._receive_batch(self._handle, buffer, capacity, pointer, most, count_p, c_double(timeout))
        if status:
            raise _last_error(self._lib, status)
        taken = count.value
        sizes = self._batch_sizes[:taken].tolist()
        data = ctypes.string_at(buffer, sum(sizes))
        messages = []
        offset = 0
        for length in sizes:
            end = offset + length
            messages.append(data[offset:end])
            offset = end
        return messages

    def __iter__(self) -> Iterator[bytes]:
        """Each message, as receive() without a timeout, until shmd closes the channel."""
        while True:
            try:
                yield self.receive()
            except ChannelClosed:
                return
