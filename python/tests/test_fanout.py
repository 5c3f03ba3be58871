"""Fan-out channels (``delivery = "fanout"``) from Python: every reader gets every message of
every writer, in each writer's order; ``from_="oldest"`` starts at the oldest message in the ring;
a reader lapped on a ``slow-reader = "drop"`` channel is told exactly how many it lost, and where;
``from_`` is checked; a libshmkit without the 1.1 functions still loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import fanout
import shmkit
from conftest import PYTHON_DIR, Collector, Daemon, channel_toml

HERE = Path(__file__).resolve().parent

# Messages per writer in the test with processes: many laps of its 16-slot ring.
COUNT = 50_000


def fanout_toml(name: str, slots: int, policy: str) -> str:
    return channel_toml(name, slots=slots, slot_size=64, extra=f'delivery = "fanout"\nslow-reader = "{policy}"')


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Starts ``python fanout.py ARGS...`` (stdout and stderr piped); any still running at the
    end of the test is killed."""
    started: list[subprocess.Popen[str]] = []
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))

    def start(*args: str) -> subprocess.Popen[str]:
        child = subprocess.Popen([sys.executable, str(HERE / "fanout.py"), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(child)
        return child

    yield start
    for child in started:
        if child.poll() is None:
            child.kill()
        child.communicate()


def first_line(child: subprocess.Popen[str], seconds: float = 30) -> str:
    """The child's first line of output, within ``seconds``."""
    assert child.stdout is not None
    stdout = child.stdout
    return str(Collector(stdout.readline).result(seconds)).rstrip("\n")


def test_every_reader_gets_every_message_of_every_writer_in_order(start_daemon: Callable[..., Daemon], spawn: Callable[..., subprocess.Popen[str]]) -> None:
    # slow-reader = "block": the writers wait for the slowest of the three, so none loses one.
    daemon = start_daemon(fanout_toml("ticks", slots=16, policy="block"))
    modes = ["batch", "borrow", "iterate"]
    readers = [spawn("read", "ticks", daemon.prefix, "2", str(COUNT), mode) for mode in modes]
    for reader in readers:
        assert first_line(reader) == "attached", reader.communicate(timeout=30)[1]
    writers = [spawn("write", "ticks", daemon.prefix, str(i), str(COUNT), mode) for i, mode in enumerate(["single", "batch"])]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    for mode, reader in zip(modes, readers):
        out, errors = reader.communicate(timeout=120)
        assert reader.returncode == 0, errors
        report = json.loads(out)
        assert report == {"fanout": True, "received": [COUNT, COUNT], "problems": [], "lost": 0, "gaps": 0, "extra": False}, mode


@pytest.mark.parametrize("policy", ["block", "drop"])
def test_from_oldest_starts_at_the_oldest_message_in_the_ring(start_daemon: Callable[..., Daemon], policy: str) -> None:
    slots = 8
    daemon = start_daemon(fanout_toml("ticks", slots=slots, policy=policy) + fanout_toml("fresh", slots=slots, policy=policy))
    prefix = daemon.prefix
    written = 3 * slots + 5
    with shmkit.Writer("ticks", prefix=prefix) as writer:
        for seq in range(written):  # no reader yet: the writer laps the ring freely
            writer.send(fanout.message(0, seq), timeout=5)
        with shmkit.Reader("ticks", prefix=prefix, from_="oldest") as oldest, shmkit.Reader("ticks", prefix=prefix) as latest:
            assert oldest.from_ is shmkit.Start.OLDEST and latest.from_ is shmkit.Start.NEXT
            assert oldest.is_fanout and latest.is_fanout
            # The last `slots` messages written before it came, in order, none lost.
            got = [fanout.parse(oldest.receive(timeout=5)) for _ in range(slots)]
            assert got == [(0, seq) for seq in range(written - slots, written)]
            assert oldest.take_gap() == 0 and oldest.lost == 0
            with pytest.raises(shmkit.Timeout):
                oldest.receive(timeout=0)
            # From the next one (the default), none of them.
            with pytest.raises(shmkit.Timeout):
                latest.receive(timeout=0)
            writer.send(fanout.message(0, written), timeout=5)
            assert fanout.parse(oldest.receive(timeout=5)) == fanout.parse(latest.receive(timeout=5)) == (0, written)
            assert oldest.lost == latest.lost == 0
    # A ring not yet full: every message written so far.
    with shmkit.Writer("fresh", prefix=prefix) as writer:
        writer.send_batch([fanout.message(1, seq) for seq in range(3)], timeout=5)
        with shmkit.Reader("fresh", prefix=prefix, from_=shmkit.Start.OLDEST) as oldest:
            assert [fanout.parse(m) for m in oldest.receive_batch(10, timeout=5)] == [(1, 0), (1, 1), (1, 2)]


def test_a_lapped_reader_is_told_exactly_how_many_it_lost(start_daemon: Callable[..., Daemon]) -> None:
    slots = 8
    daemon = start_daemon(fanout_toml("tape", slots=slots, policy="drop"))
    with shmkit.Writer("tape", prefix=daemon.prefix) as writer:
        one = shmkit.Reader("tape", prefix=daemon.prefix)
        batched = shmkit.Reader("tape", prefix=daemon.prefix)
        # Both keep up with the first few.
        kept = 5
        writer.send_batch([fanout.message(0, seq) for seq in range(kept)], timeout=5)
        assert [fanout.parse(one.receive(timeout=5)) for _ in range(kept)] == [(0, seq) for seq in range(kept)]
        assert one.take_gap() == 0
        got: list[bytes] = []
        while len(got) < kept:
            got += batched.receive_batch(64, timeout=5)
        assert [fanout.parse(m) for m in got] == [(0, seq) for seq in range(kept)] and batched.take_gap() == 0
        # Then neither reads while the writer sends almost four rings: it never waits (drop).
        for seq in range(kept, kept + 3 * slots + 7):
            writer.send(fanout.message(0, seq), timeout=0)
    written = kept + 3 * slots + 7
    missed = written - slots - kept  # overwritten before they read them: all but the last ring

    # One at a time: the gap comes with the first message after it, exactly.
    first = one.receive(timeout=5)
    assert fanout.parse(first) == (0, written - slots)
    assert one.take_gap() == missed and one.lost == missed
    rest = [one.receive(timeout=5) for _ in range(slots - 1)]
    assert [fanout.parse(m) for m in rest] == [(0, seq) for seq in range(written - slots + 1, written)]
    assert one.take_gap() == 0
    with pytest.raises(shmkit.Timeout):
        one.receive(timeout=0)
    received = kept + slots
    assert received + one.lost == written
    one.close()
    assert one.lost == missed  # still known after the close

    # In batches: the gaps add up to the same.
    gaps = 0
    got = []
    while len(got) < slots:
        got += batched.receive_batch(64, timeout=5)
        gaps += batched.take_gap()
    assert [fanout.parse(m) for m in got] == [(0, seq) for seq in range(written - slots, written)]
    assert gaps == batched.lost == missed
    batched.close()


def test_under_laps_each_gap_is_where_the_messages_are_missing(start_daemon: Callable[..., Daemon], spawn: Callable[..., subprocess.Popen[str]]) -> None:
    # A writer in another process at full speed on a 4-slot ring, a reader here that checks each
    # message: the gap before it is exactly the sequence numbers it skipped, and no message torn.
    count = 50_000
    daemon = start_daemon(fanout_toml("race", slots=4, policy="drop"))
    with shmkit.Reader("race", prefix=daemon.prefix) as reader:
        writer = spawn("write", "race", daemon.prefix, "0", str(count), "batch")
        expected = 0
        received = gaps = 0
        while expected < count:
            parsed = fanout.parse(reader.receive(timeout=30))
            gap = reader.take_gap()
            assert parsed is not None, "a torn message"
            assert parsed == (0, expected + gap), f"message {parsed[1]} after a gap of {gap}, where {expected} was next"
            expected = parsed[1] + 1
            received += 1
            gaps += gap
        assert received + reader.lost == count and gaps == reader.lost, (received, reader.lost, gaps)
        # Each batch of 64 laps the ring 16 times within one call: the writer cannot but lap a
        # reader that takes one message a call (in runs here it lost over 90 %).
        assert reader.lost > 0
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors


@pytest.mark.parametrize("value", ["newest", "Oldest", "", " next"])
def test_a_bad_from_is_refused_naming_it_and_the_choices(value: str) -> None:
    # Refused before the library looks for the channel (there is none).
    with pytest.raises(shmkit.InvalidArgument) as caught:
        shmkit.Reader("ticks", prefix="nosuch", from_=value)
    assert str(caught.value) == f"invalid use of channel 'ticks': from_ is {value!r}, neither 'next' nor 'oldest' (shmkit.Start.NEXT, shmkit.Start.OLDEST)"
    assert isinstance(caught.value, ValueError) and caught.value.status == shmkit.Status.USAGE


@pytest.mark.parametrize("value", [1, None, b"oldest"])
def test_a_from_that_is_not_a_str_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match=f"^from_ must be 'next', 'oldest' or a shmkit.Start, not {type(value).__name__}$"):
        shmkit.Reader("ticks", prefix="nosuch", from_=value)  # type: ignore[arg-type]


def test_a_queue_channel_takes_any_from_and_loses_nothing(start_daemon: Callable[..., Daemon]) -> None:
    daemon = start_daemon(channel_toml("jobs", slots=4, slot_size=64))
    with shmkit.Writer("jobs", prefix=daemon.prefix) as writer:
        writer.send_batch([b"a", b"b"], timeout=5)
        readers = [shmkit.Reader("jobs", prefix=daemon.prefix, from_=start) for start in ("next", shmkit.Start.OLDEST)]
        # A queue's readers take the oldest message no reader took, whatever from_ says.
        assert [r.receive(timeout=5) for r in readers] == [b"a", b"b"]
        assert [(r.is_fanout, r.lost, r.take_gap()) for r in readers] == [(False, 0, 0), (False, 0, 0)]
        for reader in readers:
            reader.close()


# libshmkit 1.1 with the names of the functions 1.1 added changed in its symbol tables, so that
# the dynamic loader does not find them: a 1.0 library, as far as the package can tell.
FANOUT_FUNCTIONS = ["shmkit_reader_open_from", "shmkit_reader_is_fanout", "shmkit_reader_lost", "shmkit_reader_take_gap"]

OLD_LIBRARY_PROBE = """
import shmkit, shmkit._native, sys
prefix = sys.argv[1]
with shmkit.Writer("jobs", prefix=prefix) as writer, shmkit.Reader("jobs", prefix=prefix) as reader:
    writer.send(b"still works")
    print(reader.receive(timeout=5).decode(), reader.is_fanout, reader.lost, reader.take_gap())
print([shmkit._native.has(name) for name in sys.argv[2:]])
try:
    shmkit.Reader("jobs", prefix=prefix, from_="oldest")
except shmkit.InvalidArgument as error:
    print(error)
"""


def test_a_library_older_than_1_1_loads_and_from_oldest_says_what_it_needs(start_daemon: Callable[..., Daemon], tmp_path: Path) -> None:
    library = Path(os.environ["SHMKIT_LIBRARY"]).read_bytes()
    for name in FANOUT_FUNCTIONS:
        renamed = name.replace("shmkit_", "shmkiX_").encode()
        assert b"\0" + name.encode() + b"\0" in library, name
        library = library.replace(b"\0" + name.encode() + b"\0", b"\0" + renamed + b"\0")
    old = tmp_path / "libshmkit.so.1"
    old.write_bytes(library)
    daemon = start_daemon(channel_toml("jobs", slots=4, slot_size=64))
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR), SHMKIT_LIBRARY=str(old))
    probe = subprocess.run([sys.executable, "-c", OLD_LIBRARY_PROBE, daemon.prefix, *FANOUT_FUNCTIONS], env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines() == [
        "still works False 0 0",
        "[False, False, False, False]",
        f"invalid use of channel 'jobs': from_='oldest' needs libshmkit 1.1 or later, and {old} is older "
        "(it has no shmkit_reader_open_from): install a newer libshmkit (`make install` in the shmd checkout)",
    ]
