"""Every error of the package: its class, status, kind, and the same text as the commands."""

from __future__ import annotations

import json
import math
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import shmkit
from shmkit import ErrorKind, Status
from conftest import PYTHON_DIR, Collector, Daemon, channel_toml, command_error, executable, leftovers, run_command, unique_prefix, wait_until


def check(error: shmkit.ShmkitError, cls: type[shmkit.ShmkitError], status: Status, kind: ErrorKind) -> None:
    assert type(error) is cls, repr(error)
    assert error.status == status and isinstance(error.status, Status)
    assert error.kind == kind
    assert str(error) == error.message and error.message


def test_unknown_channel(daemon: Daemon) -> None:
    for end in (shmkit.Writer, shmkit.Reader):
        with pytest.raises(shmkit.ChannelNotFound) as caught:
            end("nosuch", prefix=daemon.prefix)
        check(caught.value, shmkit.ChannelNotFound, Status.UNAVAILABLE, ErrorKind.NOT_FOUND)
        command = run_command("shm-reader", ["nosuch", "--prefix", daemon.prefix])
        assert command.returncode == 69
        assert str(caught.value) == command_error(command, "shm-reader")
    # With a wait, the text says how long it waited; the same as --wait.
    with pytest.raises(shmkit.ChannelNotFound) as caught:
        shmkit.Reader("nosuch", prefix=daemon.prefix, wait=0.1)
    command = run_command("shm-writer", ["nosuch", "--prefix", daemon.prefix, "--wait", "0.1", "--message", "x"])
    assert "after waiting 0.100 s" in str(caught.value)
    assert str(caught.value) == command_error(command, "shm-writer")


def test_message_too_large(daemon: Daemon) -> None:
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer, shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        with pytest.raises(shmkit.MessageTooLarge) as caught:
            writer.send(b"x" * 1025)
        check(caught.value, shmkit.MessageTooLarge, Status.DATAERR, ErrorKind.TOO_LARGE)
        command = run_command("shm-writer", ["demo", "--prefix", daemon.prefix, "--message", "x" * 1025])
        assert command.returncode == 65
        assert str(caught.value) == command_error(command, "shm-writer")
        # A batch with one message too large sends none of them.
        with pytest.raises(shmkit.MessageTooLarge) as caught:
            writer.send_batch([b"fits", bytearray(2000)])
        assert caught.value.sent == 0
        with pytest.raises(shmkit.Timeout):
            reader.receive(timeout=0)


def test_timeouts(daemon: Daemon) -> None:
    with shmkit.Reader("small", prefix=daemon.prefix) as reader:
        with pytest.raises(shmkit.Timeout) as caught:
            reader.receive(timeout=0.2)
        check(caught.value, shmkit.Timeout, Status.TEMPFAIL, ErrorKind.TIMEOUT)
        assert isinstance(caught.value, TimeoutError)
        command = run_command("shm-reader", ["small", "--prefix", daemon.prefix, "--timeout", "0.2"])
        assert command.returncode == 75
        assert str(caught.value) == command_error(command, "shm-reader")
        for call in (
            lambda: reader.receive_into(bytearray(16), timeout=0.2),
            lambda: reader.receive_batch(4, timeout=0.2),
            lambda: reader.borrow(timeout=0.2).__enter__(),
        ):
            with pytest.raises(shmkit.Timeout) as again:
                call()
            assert str(again.value) == str(caught.value)
        with shmkit.Writer("small", prefix=daemon.prefix) as writer:
            writer.send_batch([b"1", b"2"])
            with pytest.raises(shmkit.Timeout) as caught:
                writer.send(b"3", timeout=0.2)
            command = run_command("shm-writer", ["small", "--prefix", daemon.prefix, "--timeout", "0.2", "--message", "3"])
            assert command.returncode == 75
            assert str(caught.value) == command_error(command, "shm-writer")
            assert "send (channel full)" in str(caught.value)


def test_closed_by_shmd(daemon: Daemon) -> None:
    reader = shmkit.Reader("small", prefix=daemon.prefix)
    writer = shmkit.Writer("small", prefix=daemon.prefix)
    writer.send_batch([b"queued 1", b"queued 2"])
    blocked = Collector(lambda: writer.send(b"never"))  # the channel is full: it waits
    command = subprocess.Popen(
        [executable("SHM_WRITER", "shm-writer"), "small", "--prefix", daemon.prefix, "--message", "never either"],
        stderr=subprocess.PIPE,
    )
    # Attached (the segment is in its mappings), so it is shmd's close it meets, not a missing channel.
    maps = f"/proc/{command.pid}/maps"
    wait_until(lambda: f"/dev/shm/{daemon.prefix}.small" in Path(maps).read_text(), 20, "shm-writer attached")
    daemon.stop(check=False)
    with pytest.raises(shmkit.ChannelClosed) as caught:
        blocked.result(20)
    check(caught.value, shmkit.ChannelClosed, Status.UNAVAILABLE, ErrorKind.CLOSED)
    _, stderr = command.communicate(timeout=20)
    assert command.returncode == 69
    assert stderr.decode().rstrip("\n") == f"shm-writer: {caught.value}"
    # The reader drains what was queued, then is told the channel closed.
    assert reader.receive(timeout=5) == b"queued 1"
    assert reader.receive(timeout=5) == b"queued 2"
    with pytest.raises(shmkit.ChannelClosed) as closed:
        reader.receive(timeout=5)
    check(closed.value, shmkit.ChannelClosed, Status.UNAVAILABLE, ErrorKind.CLOSED)
    assert str(closed.value) == str(caught.value)
    with pytest.raises(shmkit.ChannelClosed):
        with reader.borrow(timeout=5):
            pass
    with pytest.raises(shmkit.ChannelClosed):
        reader.receive_batch(2, timeout=5)
    reader.close()
    writer.close()
    daemon.stop()


# How the library prints each (Swift's description of a Double).
SWIFT_DOUBLE = {-1.0: "-1.0", -1e-9: "-1e-09", math.nan: "nan", -math.inf: "-inf"}


@pytest.mark.parametrize("bad", list(SWIFT_DOUBLE))
def test_negative_or_nan_timeout(daemon: Daemon, bad: float) -> None:
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer, shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        writer.send(b"stays")
        calls: list[Callable[[], object]] = [
            lambda: writer.send(b"x", timeout=bad),
            lambda: writer.send_batch([b"x"], timeout=bad),
            lambda: reader.receive(timeout=bad),
            lambda: reader.receive_into(bytearray(1024), timeout=bad),
            lambda: reader.receive_batch(3, timeout=bad),
            lambda: reader.borrow(timeout=bad).__enter__(),
        ]
        for call in calls:
            with pytest.raises(shmkit.InvalidArgument) as caught:
                call()
            check(caught.value, shmkit.InvalidArgument, Status.USAGE, ErrorKind.INVALID_ARGUMENT)
            assert isinstance(caught.value, ValueError)
            assert str(caught.value) == (
                f"invalid timeout {SWIFT_DOUBLE[bad]} for channel 'demo': give a number of seconds, 0 or more "
                "(+infinity for no limit)"
            )
        # Refused before anything was taken or sent.
        assert reader.receive_batch(10, timeout=5) == [b"stays"]
        for end in (shmkit.Writer, shmkit.Reader):
            with pytest.raises(shmkit.InvalidArgument) as caught:
                end("demo", prefix=daemon.prefix, wait=bad)
            assert "invalid wait" in str(caught.value)


def test_receive_into_a_buffer_too_small_or_read_only(daemon: Daemon) -> None:
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer, shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        writer.send(b"short")
        with pytest.raises(shmkit.InvalidArgument) as caught:
            reader.receive_into(bytearray(1023))
        check(caught.value, shmkit.InvalidArgument, Status.USAGE, ErrorKind.INVALID_ARGUMENT)
        assert str(caught.value) == (
            "invalid use of channel 'demo': the buffer of 1023 bytes is smaller than the channel's largest message "
            "(1024 bytes, shmkit_reader_max_message_size)"
        )
        with pytest.raises(TypeError):
            reader.receive_into(bytes(2048))  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            reader.receive_into(memoryview(bytearray(4096))[::2])
        with pytest.raises(TypeError):
            reader.receive_into("text")  # type: ignore[arg-type]
        assert reader.receive(timeout=5) == b"short"  # nothing was taken


def test_bad_batch_sizes(daemon: Daemon) -> None:
    with shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        with pytest.raises(shmkit.InvalidArgument) as caught:
            reader.receive_batch(0)
        assert str(caught.value) == (
            "invalid use of channel 'demo': room for no message: max_count 0, a buffer of 0 bytes, messages of up to 1024 bytes"
        )
        with pytest.raises(shmkit.InvalidArgument) as caught:
            reader.receive_batch(-1)
        check(caught.value, shmkit.InvalidArgument, Status.USAGE, ErrorKind.INVALID_ARGUMENT)
        with pytest.raises(TypeError):
            reader.receive_batch(2.5)  # type: ignore[arg-type]


def test_use_after_close(daemon: Daemon) -> None:
    writer = shmkit.Writer("demo", prefix=daemon.prefix)
    reader = shmkit.Reader("demo", prefix=daemon.prefix)
    writer.send(b"left behind")
    writer.close()
    reader.close()
    writer_calls: list[Callable[[], object]] = [
        lambda: writer.send(b"x"),
        lambda: writer.send(b"x", timeout=0),
        lambda: writer.send_batch([b"x", b"y"]),
        lambda: writer.send_batch([]),
    ]
    reader_calls: list[Callable[[], object]] = [
        lambda: reader.receive(),
        lambda: reader.receive(timeout=0),
        lambda: reader.receive_into(bytearray(1024)),
        lambda: reader.receive_batch(4),
        lambda: reader.borrow().__enter__(),
        lambda: next(iter(reader)),
    ]
    for calls, end in ((writer_calls, "writer"), (reader_calls, "reader")):
        for call in calls:
            with pytest.raises(shmkit.InvalidArgument) as caught:
                call()
            check(caught.value, shmkit.InvalidArgument, Status.USAGE, ErrorKind.INVALID_ARGUMENT)
            assert str(caught.value) == f"invalid use of channel 'demo': the {end} was closed (shmkit_{end}_close)"
    assert writer.max_message_size == 1024  # still known


def test_close_inside_a_borrow_and_a_second_borrow(daemon: Daemon) -> None:
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer:
        writer.send_batch([b"first", b"second"])
    reader = shmkit.Reader("demo", prefix=daemon.prefix)
    with reader.borrow(timeout=5) as view:
        with pytest.raises(shmkit.InvalidArgument) as caught:
            reader.borrow(timeout=5).__enter__()
        check(caught.value, shmkit.InvalidArgument, Status.USAGE, ErrorKind.INVALID_ARGUMENT)
        assert view == b"first"  # the first borrow is untouched
        reader.close()
        with pytest.raises(ValueError):
            bytes(view)  # close released the view with the message
    # Leaving the block after close is fine; the next reader gets "second".
    with shmkit.Reader("demo", prefix=daemon.prefix) as other:
        assert other.receive(timeout=5) == b"second"


@pytest.mark.parametrize("name", ["a/b", "", "x" * 300])
def test_invalid_names(daemon: Daemon, name: str) -> None:
    with pytest.raises(shmkit.InvalidName) as caught:
        shmkit.Reader(name, prefix=daemon.prefix)
    check(caught.value, shmkit.InvalidName, Status.USAGE, ErrorKind.INVALID_NAME)
    assert isinstance(caught.value, shmkit.InvalidArgument)
    command = run_command("shm-reader", [name, "--prefix", daemon.prefix])
    assert command.returncode == 64
    assert str(caught.value) == command_error(command, "shm-reader")
    with pytest.raises(shmkit.InvalidName):
        shmkit.Writer("demo", prefix="bad/prefix")
    with pytest.raises(TypeError):
        shmkit.Reader(b"demo")  # type: ignore[arg-type]


def test_header_mismatch_and_an_empty_segment() -> None:
    prefix = unique_prefix()
    garbage, empty = Path(f"/dev/shm/{prefix}.garbage"), Path(f"/dev/shm/{prefix}.empty")
    garbage.write_bytes(b"\x5a" * 4096)
    empty.write_bytes(b"")
    try:
        with pytest.raises(shmkit.HeaderMismatch) as caught:
            shmkit.Reader("garbage", prefix=prefix)
        check(caught.value, shmkit.HeaderMismatch, Status.DATAERR, ErrorKind.HEADER_MISMATCH)
        command = run_command("shm-reader", ["garbage", "--prefix", prefix])
        assert command.returncode == 65 and str(caught.value) == command_error(command, "shm-reader")
        with pytest.raises(shmkit.ChannelDamaged) as damaged:
            shmkit.Writer("empty", prefix=prefix)
        check(damaged.value, shmkit.ChannelDamaged, Status.DATAERR, ErrorKind.DAMAGED)
        command = run_command("shm-writer", ["empty", "--prefix", prefix, "--message", "x"])
        assert command.returncode == 65 and str(damaged.value) == command_error(command, "shm-writer")
    finally:
        garbage.unlink()
        empty.unlink()
    assert leftovers(prefix) == []


def test_too_many_clients(start_daemon: Callable[..., Daemon]) -> None:
    daemon = start_daemon(channel_toml("one", extra="max-clients = 1"))
    with shmkit.Reader("one", prefix=daemon.prefix):
        with pytest.raises(shmkit.TooManyClients) as caught:
            shmkit.Writer("one", prefix=daemon.prefix)
        check(caught.value, shmkit.TooManyClients, Status.UNAVAILABLE, ErrorKind.TOO_MANY_CLIENTS)
        command = run_command("shm-writer", ["one", "--prefix", daemon.prefix, "--message", "x"])
        assert command.returncode == 69 and str(caught.value) == command_error(command, "shm-writer")
    with shmkit.Writer("one", prefix=daemon.prefix):  # the entry is free again after close
        pass


def test_unrepresentable_on_a_seed_channel(start_daemon: Callable[..., Daemon]) -> None:
    daemon = start_daemon('[[channel]]\nname = "seed"\nlayout = "seed"\nsegment = "/@P_shm"\nsem-empty = "/@P_empty"\nsem-full = "/@P_full"\n')
    with shmkit.Writer("seed", prefix=daemon.prefix) as writer:
        with pytest.raises(shmkit.Unrepresentable) as caught:
            writer.send(b"a\x00b")
        check(caught.value, shmkit.Unrepresentable, Status.DATAERR, ErrorKind.UNREPRESENTABLE)
    command = run_command("shm-writer", ["seed", "--prefix", daemon.prefix], input=b"a\x00b\n")
    assert command.returncode == 65 and str(caught.value) == command_error(command, "shm-writer")
    with shmkit.Writer("seed", prefix=daemon.prefix) as writer, shmkit.Reader("seed", prefix=daemon.prefix) as reader:
        writer.send(b"a C string")
        assert reader.receive(timeout=5) == b"a C string"


OTHER_USER = "shmkit-pytest"

CHILD = """
import json, shmkit, sys
try:
    shmkit.Reader(sys.argv[1], prefix=sys.argv[2])
    print(json.dumps({"opened": True}))
except shmkit.ShmkitError as error:
    print(json.dumps({"class": type(error).__name__, "status": int(error.status), "kind": error.kind.name, "message": str(error), "builtin": isinstance(error, PermissionError)}))
"""


@pytest.fixture(scope="session")
def other_user() -> pwd.struct_passwd:
    """A user outside every group of the channels (made with useradd if missing)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: creates a user and runs a child as that user")
    try:
        return pwd.getpwnam(OTHER_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER], check=True, timeout=30)
        return pwd.getpwnam(OTHER_USER)


def as_user(user: pwd.struct_passwd) -> list[str]:
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]


def interpreter_for(user: pwd.struct_passwd) -> str:
    """This Python if the user may run it, else the system's (a Python under /root is not)."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run(as_user(user) + [candidate, "-c", "import ctypes"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return candidate
    pytest.fail(f"no Python that user {user.pw_name} may run: {sys.executable}, /usr/bin/python3")


def test_permission_denied_as_another_user(daemon: Daemon, other_user: pwd.struct_passwd) -> None:
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    child = subprocess.run(
        as_user(other_user) + [interpreter_for(other_user), "-c", CHILD, "demo", daemon.prefix],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr.decode()
    result = json.loads(child.stdout)
    assert result["class"] == "PermissionDenied" and result["builtin"]
    assert result["status"] == 77 and result["kind"] == "PERMISSION"
    command = run_command("shm-reader", ["demo", "--prefix", daemon.prefix], prefix_command=as_user(other_user))
    assert command.returncode == 77
    assert result["message"] == command_error(command, "shm-reader")
    assert f"permission denied opening /{daemon.prefix}.demo of channel 'demo'" in result["message"]
