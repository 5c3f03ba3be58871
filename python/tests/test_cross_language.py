"""Across languages: the Python package against the Swift commands, against a C program over
libshmkit (Tests/IntegrationTests/C/shmkit_frames.c), and against Python in another process,
byte-exact and in order, in both protocols.

SHMKIT_CROSS_COUNT sets the messages per run with the commands (1,000,000 by default, the
acceptance figure); Python to Python, not part of it, carries a fifth of that, to keep the run
short.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import shmkit
import traffic
from conftest import ROOT, Collector, Daemon, channel_toml, executable

# The one-line switch: True, the commands carry binary traffic through --binary (frames of a
# 4-byte little-endian length and the bytes: every byte value, empty messages and ones of
# exactly the slot size); False, text lines (messages without a newline).
BINARY = True

COUNT = int(os.environ.get("SHMKIT_CROSS_COUNT", "1000000"))
SLOT_SIZE = 256
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def c_frames(tmp_path_factory: pytest.TempPathFactory) -> str:
    """shmkit_frames, compiled here against shmkit.h and the library under test, as a user
    compiles a program: it finds the library by its soname, libshmkit.so.1, through an rpath."""
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.fail("no C compiler (cc) on PATH: make deps installs gcc")
    library = os.environ.get("SHMKIT_LIBRARY") or str(Path(executable("SHMD", "shmd")).parent / "libshmkit.so")
    folder = tmp_path_factory.mktemp("c")
    (folder / "libshmkit.so.1").symlink_to(library)
    program = folder / "shmkit_frames"
    line = [
        compiler, "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(program), str(ROOT / "Tests" / "IntegrationTests" / "C" / "shmkit_frames.c"),
        "-I", str(ROOT / "Sources" / "ShmKitC" / "include"), str(folder / "libshmkit.so.1"), f"-Wl,-rpath,{folder}",
    ]
    built = subprocess.run(line, capture_output=True, timeout=120)
    assert built.returncode == 0, f"{' '.join(line)}: {built.stderr.decode()}"
    return str(program)


@pytest.fixture
def channel(start_daemon: Callable[..., Daemon], protocol: str) -> Daemon:
    return start_daemon(channel_toml("cross", slots=256, slot_size=SLOT_SIZE, protocol=protocol))


def mode() -> list[str]:
    return ["--binary"] if BINARY else []


def test_python_writer_to_swift_reader(channel: Daemon) -> None:
    reader = subprocess.Popen(
        [executable("SHM_READER", "shm-reader"), "cross", "--prefix", channel.prefix, "--wait", "30", "--count", str(COUNT), *mode()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=1 << 20,
    )
    writing = Collector(lambda: traffic.write("cross", channel.prefix, COUNT, SLOT_SIZE, 1, text=not BINARY))
    assert reader.stdout is not None
    assert traffic.compare(traffic.unframe(reader.stdout, BINARY), COUNT, SLOT_SIZE, 1, text=not BINARY) == COUNT
    writing.result(120)
    assert reader.wait(30) == 0, reader.stderr.read() if reader.stderr else ""


def test_swift_writer_to_python_reader(channel: Daemon) -> None:
    with shmkit.Reader("cross", prefix=channel.prefix) as reader:
        writer = subprocess.Popen(
            [executable("SHM_WRITER", "shm-writer"), "cross", "--prefix", channel.prefix, *mode()],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

        def feed() -> None:
            assert writer.stdin is not None
            for chunk in traffic.frames(traffic.messages(COUNT, SLOT_SIZE, 2, text=not BINARY), BINARY):
                writer.stdin.write(chunk)
            writer.stdin.close()

        feeding = Collector(feed)
        assert traffic.compare(traffic.receive_all(reader, COUNT), COUNT, SLOT_SIZE, 2, text=not BINARY) == COUNT
        feeding.result(120)
        assert writer.wait(30) == 0, writer.stderr.read() if writer.stderr else ""


def test_python_to_python_binary_in_another_process(channel: Daemon) -> None:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    count = max(1, COUNT // 5)
    writer = subprocess.Popen(
        [sys.executable, str(HERE / "traffic.py"), "write", "cross", channel.prefix, str(count), str(SLOT_SIZE), "3", "binary"],
        env=env,
        stderr=subprocess.PIPE,
    )
    with shmkit.Reader("cross", prefix=channel.prefix, wait=30) as reader:
        assert traffic.compare(traffic.receive_all(reader, count), count, SLOT_SIZE, 3, text=False) == count
    assert writer.wait(60) == 0, writer.stderr.read() if writer.stderr else ""


def test_python_writer_to_c_reader(channel: Daemon, c_frames: str) -> None:
    # The C reader takes alternately with shmkit_receive and shmkit_borrow, and writes frames.
    reader = subprocess.Popen([c_frames, "read", "cross", channel.prefix, str(COUNT)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=1 << 20)
    writing = Collector(lambda: traffic.write("cross", channel.prefix, COUNT, SLOT_SIZE, 4, text=False))
    assert reader.stdout is not None
    assert traffic.compare(traffic.unframe(reader.stdout, True), COUNT, SLOT_SIZE, 4, text=False) == COUNT
    writing.result(120)
    assert reader.wait(30) == 0, reader.stderr.read() if reader.stderr else ""


def test_c_writer_to_python_reader(channel: Daemon, c_frames: str) -> None:
    # The C writer sends alternately with shmkit_send and shmkit_claim/shmkit_commit.
    with shmkit.Reader("cross", prefix=channel.prefix) as reader:
        writer = subprocess.Popen([c_frames, "write", "cross", channel.prefix], stdin=subprocess.PIPE, stderr=subprocess.PIPE)

        def feed() -> None:
            assert writer.stdin is not None
            for chunk in traffic.frames(traffic.messages(COUNT, SLOT_SIZE, 5, text=False), True):
                writer.stdin.write(chunk)
            writer.stdin.close()

        feeding = Collector(feed)
        assert traffic.compare(traffic.receive_all(reader, COUNT), COUNT, SLOT_SIZE, 5, text=False) == COUNT
        feeding.result(120)
        assert writer.wait(30) == 0, writer.stderr.read() if writer.stderr else ""
