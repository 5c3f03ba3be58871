"""Round trips through a channel, in the fast and the classic protocol: send and receive, the
buffer types, receive_into, borrow, batches, iteration, close."""

from __future__ import annotations

import array
import os

import pytest

import shmkit
from conftest import Collector, Daemon

MESSAGES = [b"hello", b"", b"\x00" * 7, bytes(range(256)) * 4, b"\n\r\x00\xff", b"x" * 1024]


def test_round_trip(daemon: Daemon) -> None:
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer, shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        assert writer.max_message_size == reader.max_message_size == 1024
        for message in MESSAGES:
            writer.send(message)
        assert [reader.receive(timeout=5) for _ in MESSAGES] == MESSAGES
        with pytest.raises(shmkit.Timeout):
            reader.receive(timeout=0)


def test_send_takes_any_contiguous_buffer(daemon: Daemon) -> None:
    ints = array.array("i", [1, 2, 3])
    sources: list[shmkit.BytesLike] = [
        bytearray(b"a bytearray"),
        memoryview(b"a read-only memoryview"),
        memoryview(bytearray(b"a writable memoryview")),
        memoryview(b"..a slice..")[2:-2],
        memoryview(ints),  # not bytes: sent as its 12 bytes
        bytearray(),
    ]
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer, shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        for source in sources:
            writer.send(source)
        assert [reader.receive(timeout=5) for _ in sources] == [bytes(s) for s in sources]
        with pytest.raises(TypeError):
            writer.send("text")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            writer.send(memoryview(b"abcdef")[::2])


def test_receive_into(daemon: Daemon) -> None:
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer, shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        writer.send(b"into a bytearray")
        writer.send(b"into a memoryview")
        writer.send(b"")
        buffer = bytearray(reader.max_message_size + 10)
        length = reader.receive_into(buffer, timeout=5)
        assert buffer[:length] == b"into a bytearray"
        view = memoryview(bytearray(2048))
        length = reader.receive_into(view[100:1124], timeout=5)
        assert view[100 : 100 + length] == b"into a memoryview"
        assert reader.receive_into(buffer, timeout=5) == 0


def test_borrow_is_zero_copy_and_released_after_the_block(daemon: Daemon) -> None:
    with shmkit.Writer("small", prefix=daemon.prefix) as writer, shmkit.Reader("small", prefix=daemon.prefix) as reader:
        writer.send(b"borrowed")
        writer.send(b"")
        with reader.borrow(timeout=5) as view:
            assert view.readonly and view.format == "B"
            assert view == b"borrowed"
            kept = view
        with pytest.raises(ValueError):
            bytes(kept)  # released with the block
        with reader.borrow(timeout=5) as view:
            assert len(view) == 0
        # The slots are free again: the 2-slot channel takes two more.
        writer.send(b"one", timeout=0)
        writer.send(b"two", timeout=0)
        with pytest.raises(RuntimeError):
            with reader.borrow(timeout=5) as view:
                raise RuntimeError("the block fails")
        assert reader.receive(timeout=5) == b"two"  # "one" was taken by the failed block
        writer.send(b"three", timeout=0)
        writer.send(b"four", timeout=0)


def test_borrow_while_the_channel_is_empty_waits(daemon: Daemon) -> None:
    with shmkit.Reader("demo", prefix=daemon.prefix) as reader:
        with pytest.raises(shmkit.Timeout):
            with reader.borrow(timeout=0.05):
                pass

        def borrow() -> bytes:
            with reader.borrow() as view:
                return bytes(view)

        waiting = Collector(borrow)
        with shmkit.Writer("demo", prefix=daemon.prefix) as writer:
            writer.send(b"late")
        assert waiting.result(10) == b"late"


def test_batches(daemon: Daemon) -> None:
    messages = [os.urandom(n) for n in (0, 1, 17, 1024, 500)] * 40  # 200: more than the 64 slots
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer, shmkit.Reader("demo", prefix=daemon.prefix) as reader:

        def receive_all() -> list[bytes]:
            got: list[bytes] = []
            while len(got) < len(messages):
                batch = reader.receive_batch(32, timeout=10)
                assert 1 <= len(batch) <= 32
                got += batch
            return got

        receiving = Collector(receive_all)
        assert writer.send_batch(messages) == len(messages)
        assert receiving.result(30) == messages
        # Mixed buffer types in one batch, and a receive_batch larger than what is there.
        mixed: list[shmkit.BytesLike] = [b"bytes", bytearray(b"bytearray"), memoryview(b"memoryview"), b""]
        assert writer.send_batch(mixed, timeout=5) == 4
        assert writer.send_batch([]) == 0
        got: list[bytes] = []
        while len(got) < 4:  # at least one per call, and no more than are there
            got += reader.receive_batch(100, timeout=5)
        assert got == [bytes(m) for m in mixed]
        writer.send(b"a huge max_count takes what fits in 4 MiB")
        assert reader.receive_batch(10**12, timeout=5) == [b"a huge max_count takes what fits in 4 MiB"]


def test_send_batch_stops_at_a_full_channel_and_says_how_many(daemon: Daemon) -> None:
    with shmkit.Writer("small", prefix=daemon.prefix) as writer, shmkit.Reader("small", prefix=daemon.prefix) as reader:
        with pytest.raises(shmkit.Timeout) as caught:
            writer.send_batch([b"1", b"2", b"3"], timeout=0.05)
        assert caught.value.sent == 2
        assert reader.receive(timeout=5) == b"1" and reader.receive(timeout=5) == b"2"


def test_iteration_ends_when_shmd_closes_the_channel(daemon: Daemon) -> None:
    reader = shmkit.Reader("demo", prefix=daemon.prefix)
    iterating = Collector(lambda: list(reader))
    with shmkit.Writer("demo", prefix=daemon.prefix) as writer:
        writer.send_batch([b"%d" % i for i in range(50)])
    daemon.stop(check=False)
    assert iterating.result(20) == [b"%d" % i for i in range(50)]
    reader.close()
    daemon.stop()


def test_close(daemon: Daemon) -> None:
    writer = shmkit.Writer("demo", prefix=daemon.prefix)
    reader = shmkit.Reader("demo", prefix=daemon.prefix)
    assert not writer.closed and repr(writer) == f"Writer('demo', prefix='{daemon.prefix}', max_message_size=1024)"
    writer.close()
    writer.close()
    assert writer.closed and "closed" in repr(writer)
    with reader:
        pass
    assert reader.closed
    # Closed handles are detached at once: shmd's client table is free again (max-clients).
    del writer, reader


def test_wait_for_shmd_to_create_the_channel(start_daemon, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import channel_toml, unique_prefix

    prefix = unique_prefix()
    opening = Collector(lambda: shmkit.Reader("late", prefix=prefix, wait=shmkit.FOREVER))
    writer_opening = Collector(lambda: shmkit.Writer("late", prefix=prefix, wait=30))
    daemon = start_daemon(channel_toml("late"), prefix=prefix)
    with opening.result(30) as reader, writer_opening.result(30) as writer:
        writer.send(b"made it")
        assert reader.receive(timeout=5) == b"made it"
    assert daemon.prefix == prefix


INTERRUPTED = """
import signal, sys, shmkit
signal.signal(signal.SIGINT, signal.default_int_handler)
reader = shmkit.Reader("demo", prefix=sys.argv[1])
try:
    print("waiting", flush=True)
    reader.receive()  # no limit: slices of 0.25 s, with signal handlers run in between
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_interrupts_a_wait_without_limit(daemon: Daemon) -> None:
    import signal
    import subprocess

    from conftest import python_child

    child = python_child(INTERRUPTED, daemon.prefix, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "waiting\n"
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=10)
    assert out == "interrupted\n" and child.returncode == 0
