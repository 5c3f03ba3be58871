"""examples/python: the writer and the reader scripts, run as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PYTHON_DIR, ROOT, Daemon, run_command

EXAMPLES = ROOT / "examples" / "python"


def script(name: str, *args: str, **run: object) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], env=env, capture_output=True, timeout=60, **run)  # type: ignore[call-overload]


def test_the_example_writer_and_reader(daemon: Daemon) -> None:
    prefix = ["--prefix", daemon.prefix]
    assert script("writer.py", "demo", "hello from Python", "second message", *prefix).returncode == 0
    assert script("writer.py", "demo", *prefix, input=b"from stdin\n").returncode == 0
    reader = script("reader.py", "demo", "--count", "3", *prefix)
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout == b"hello from Python\nsecond message\nfrom stdin\n"
    # With the Swift commands on the other side.
    assert run_command("shm-writer", ["demo", "--message", "from shm-writer", *prefix]).returncode == 0
    assert script("reader.py", "demo", "--count", "1", *prefix).stdout == b"from shm-writer\n"
    assert script("writer.py", "demo", "to shm-reader", *prefix).returncode == 0
    assert run_command("shm-reader", ["demo", "--count", "1", *prefix]).stdout == b"to shm-reader\n"


def test_the_examples_report_errors_as_the_commands_do(daemon: Daemon) -> None:
    failed = script("reader.py", "nosuch", "--prefix", daemon.prefix)
    command = run_command("shm-reader", ["nosuch", "--prefix", daemon.prefix])
    assert failed.returncode == command.returncode == 69
    assert failed.stderr.replace(b"reader.py: ", b"shm-reader: ") == command.stderr
