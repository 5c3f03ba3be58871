"""Fixtures: a shmd of its own per test (a unique prefix), the commands, waiting with deadlines.

Environment (make python-test sets them):
    SHMKIT_LIBRARY  the libshmkit.so to test (the package itself reads it)
    SHMD            the shmd executable; shm-writer and shm-reader are taken from its folder
                    unless SHM_WRITER and SHM_READER name them
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIR = ROOT / "python"

_counter = itertools.count(1)


def unique_prefix() -> str:
    """A prefix no other test (of this run or of another running alongside) uses."""
    return f"py{os.getpid()}x{next(_counter)}"


def leftovers(prefix: str) -> list[str]:
    """Files in /dev/shm that belong to ``prefix``: segments and semaphores of its channels
    (``PREFIX.``) and the seed objects the tests name (``PREFIX_``)."""
    starts = tuple(s for sep in "._" for s in (prefix + sep, "sem." + prefix + sep))
    return sorted(name for name in os.listdir("/dev/shm") if name.startswith(starts))


def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """Polls ``condition`` until it is true and returns its value, or fails naming ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.01)


def executable(env: str, name: str) -> str:
    path = os.environ.get(env)
    if not path:
        shmd = os.environ.get("SHMD")
        folder = Path(shmd).parent if shmd else ROOT / ".build" / "debug"
        path = str(folder / name)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{name} not found at {path}: build first (swift build), or set {env}")
    return path


def channel_toml(name: str, slots: int = 64, slot_size: int = 1024, protocol: str = "fast", extra: str = "") -> str:
    return f'[[channel]]\nname = "{name}"\nslots = {slots}\nslot-size = {slot_size}\nprotocol = "{protocol}"\n{extra}\n'


class Daemon:
    """shmd with its own prefix and config; ``stop()`` checks it exits 0 and leaves nothing."""

    def __init__(self, folder: Path, channels: str, daemon_extra: str = "", prefix: str | None = None) -> None:
        self.prefix = prefix or unique_prefix()
        self.config = folder / f"{self.prefix}.toml"
        self.config.write_text(f'[daemon]\nprefix = "{self.prefix}"\n{daemon_extra}\n' + channels.replace("@P", self.prefix))
        self.log_path = folder / f"{self.prefix}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([executable("SHMD", "shmd"), "--config", str(self.config)], stderr=self._log, stdin=subprocess.DEVNULL)
        self.stopped = False
        ready = self.wait_log("ready", 30)
        if not ready:
            self.process.kill()
            pytest.fail(f"shmd was not ready within 30 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, seconds: float) -> bool:
        """Whether shmd's stderr shows ``text`` within ``seconds`` (False if shmd exited)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            if self.process.poll() is not None:
                return text in self.log()
            time.sleep(0.01)
        return False

    def stop(self, check: bool = True) -> int:
        """SIGTERM, then its exit status; with ``check``, that it was 0 and /dev/shm is clean."""
        if not self.stopped:
            self.stopped = True
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"shmd did not stop within 20 s of SIGTERM:\n{self.log()}")
            self._log.close()
        if check:
            assert self.process.returncode == 0, self.log()
            assert leftovers(self.prefix) == [], f"left in /dev/shm: {leftovers(self.prefix)}"
        return self.process.returncode


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Starts a shmd per call: ``start_daemon(channel_toml("demo"), ...)``; each one is stopped
    at the end of the test and must leave nothing in /dev/shm."""
    daemons: list[Daemon] = []

    def start(channels: str, daemon_extra: str = "", prefix: str | None = None) -> Daemon:
        daemon = Daemon(tmp_path, channels, daemon_extra, prefix)
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        daemon.stop()


@pytest.fixture(params=["fast", "classic"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def daemon(start_daemon: Callable[..., Daemon], protocol: str) -> Daemon:
    """shmd with channel ``demo`` (64 slots of 1 KiB) and ``small`` (2 slots of 16 B), in each protocol."""
    return start_daemon(channel_toml("demo", protocol=protocol) + channel_toml("small", slots=2, slot_size=16, protocol=protocol))


def run_command(name: str, args: list[str], input: bytes | None = None, timeout: float = 60, prefix_command: list[str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Runs shm-writer or shm-reader to the end, with a deadline."""
    env = "SHM_WRITER" if name == "shm-writer" else "SHM_READER"
    return subprocess.run((prefix_command or []) + [executable(env, name)] + args, input=input, capture_output=True, timeout=timeout)


def command_error(result: subprocess.CompletedProcess[bytes], program: str) -> str:
    """The message a command printed for its failure: its stderr without ``program: ``."""
    text = result.stderr.decode()
    assert text.startswith(f"{program}: "), text
    return text[len(program) + 2 :].rstrip("\n")


def python_child(code: str, *args: str, **popen: Any) -> subprocess.Popen[bytes]:
    """``python -c code args`` with this package importable and this library."""
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, **popen)


class Collector(threading.Thread):
    """Runs ``body`` on a thread of its own; ``result()`` joins with a deadline and re-raises."""

    def __init__(self, body: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self._body = body
        self._value: Any = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._body()
        except BaseException as error:  # re-raised in the test's thread
            self._error = error

    def result(self, seconds: float = 60) -> Any:
        self.join(seconds)
        if self.is_alive():
            pytest.fail(f"a thread of the test did not finish within {seconds} s")
        if self._error is not None:
            raise self._error
        return self._value
