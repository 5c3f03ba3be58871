"""The crash guarantee for a Python reader: SIGKILLed while it holds a borrowed message, the
message is written back into the channel by shmd's sweep and another reader gets it; the
survivors (a writer in another process, a reader here) finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable

import shmkit
from conftest import PYTHON_DIR, Collector, Daemon, channel_toml, wait_until

COUNT = 5000

WRITER = """
import shmkit, sys
with shmkit.Writer("crash", prefix=sys.argv[1], wait=30) as writer:
    for i in range(int(sys.argv[2])):
        writer.send(b"message %08d" % i, timeout=60)
"""

# Takes a few messages (printing each: they count as delivered), then borrows one, says which,
# and waits to be killed with it.
VICTIM = """
import shmkit, sys, time
reader = shmkit.Reader("crash", prefix=sys.argv[1], wait=30)
for _ in range(20):
    print("took", reader.receive(timeout=60).decode(), flush=True)
with reader.borrow(timeout=60) as view:
    print("holding", bytes(view).decode(), flush=True)
    time.sleep(3600)
"""


def test_a_reader_killed_holding_a_borrowed_message(start_daemon: Callable[..., Daemon], protocol: str) -> None:
    # 8 slots: the writer laps the ring while the message is held, and stalls behind it until
    # shmd has put it back.
    daemon = start_daemon(channel_toml("crash", slots=8, slot_size=64, protocol=protocol))
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    victim = subprocess.Popen([sys.executable, "-c", VICTIM, daemon.prefix], env=env, stdout=subprocess.PIPE, text=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, daemon.prefix, str(COUNT)], env=env)
    assert victim.stdout is not None
    taken: list[str] = []
    held = None
    for line in victim.stdout:  # ends at the victim's "holding" line (or its exit)
        word, message = line.rstrip("\n").split(" ", 1)
        if word == "took":
            taken.append(message)
        else:
            held = message
            break
    assert held is not None, "the victim never borrowed a message"
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(10) == -signal.SIGKILL

    # The survivor takes everything else, and the held message again (shmd's sweep: 1 s).
    with shmkit.Reader("crash", prefix=daemon.prefix) as reader:

        def survive() -> list[str]:
            got: list[str] = []
            want = set(f"message {i:08d}" for i in range(COUNT)) - set(taken)
            while want:
                for message in reader.receive_batch(64, timeout=30):
                    text = message.decode()
                    got.append(text)
                    want.discard(text)
            return got

        got = Collector(survive).result(60)
    assert writer.wait(30) == 0
    assert held in got, "the held message was not redelivered"
    everything = taken + got
    assert sorted(set(everything)) == [f"message {i:08d}" for i in range(COUNT)]
    assert len(everything) == COUNT  # the held message came once, to the survivor
    assert wait_until(lambda: daemon.wait_log(f"reader pid {victim.pid} of channel crash exited without detaching", 0.1), 10, "shmd logged the dead reader")
