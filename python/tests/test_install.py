"""`pip install ./python` works offline (no index), and installs a typed package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import PYTHON_DIR


def test_pip_install_offline(tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--no-cache-dir", "--quiet", "--target", str(target), str(PYTHON_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr
    assert sorted(p.name for p in (target / "shmkit").iterdir() if p.name != "__pycache__") == [
        "__init__.py",
        "_channel.py",
        "_native.py",
        "errors.py",
        "py.typed",
    ]
    code = "import shmkit; print(shmkit.__file__, shmkit.__version__)"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(target)))
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == [str(target / "shmkit" / "__init__.py"), "1.1.0"]
