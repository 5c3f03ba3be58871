"""Finding libshmkit: SHMKIT_LIBRARY, the dynamic loader, and the error naming every path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import PYTHON_DIR

PROBE = """
import shmkit
try:
    shmkit.Reader("nosuch", prefix="nosuch")
except shmkit.LibraryNotFound as error:
    print("not found")
    print(error)
except shmkit.ChannelNotFound:
    print("loaded", shmkit.library_path())
"""


def probe(**env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("SHMKIT_LIBRARY", "LD_LIBRARY_PATH")}
    environment.update(env, PYTHONPATH=str(PYTHON_DIR))
    child = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, env=environment)
    assert child.returncode == 0, child.stderr
    return child.stdout.splitlines()


def test_shmkit_library_names_the_file() -> None:
    library = os.environ["SHMKIT_LIBRARY"]
    assert probe(SHMKIT_LIBRARY=library) == [f"loaded {library}"]


def test_a_missing_shmkit_library_is_the_only_path_tried(tmp_path: Path) -> None:
    missing = str(tmp_path / "libshmkit.so.1")
    lines = probe(SHMKIT_LIBRARY=missing)
    assert lines == [
        "not found",
        "cannot load libshmkit; tried:",
        f"  {missing}: cannot open shared object file: No such file or directory",
        f"SHMKIT_LIBRARY={missing} could not be loaded: point it at a built libshmkit.so.1 "
        "(swift build puts it in .build/debug/libshmkit.so)",
    ]


def test_without_shmkit_library_the_loader_finds_the_soname(tmp_path: Path) -> None:
    (tmp_path / "libshmkit.so.1").symlink_to(os.path.abspath(os.environ["SHMKIT_LIBRARY"]))
    assert probe(LD_LIBRARY_PATH=str(tmp_path)) == ["loaded libshmkit.so.1"]


def test_not_found_anywhere_names_each_place_and_the_fix() -> None:
    lines = probe()
    if lines[0] != "not found":  # installed on this machine (make install): nothing to check
        assert lines[0] == "loaded libshmkit.so.1" or lines[0].startswith("loaded /")
        return
    assert lines[1] == "cannot load libshmkit; tried:"
    tried = [line.split(": ", 1)[0].strip() for line in lines[2:-1]]
    assert tried[:2] == ["libshmkit.so.1", "/usr/local/lib/libshmkit.so.1"]
    assert "/usr/lib/libshmkit.so.1" in tried and f"{sys.prefix}/lib/libshmkit.so.1" in tried
    assert lines[-1].startswith("install libshmkit (`make install` in the shmd checkout puts it in /usr/local/lib), or set SHMKIT_LIBRARY")
