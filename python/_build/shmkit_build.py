"""The package's own PEP 517 build backend: a pure-Python wheel, with nothing to download.

setuptools builds a wheel only with the `wheel` package beside it (before setuptools 70.1), and
an isolated build fetches both from an index; this backend needs neither, so that
`pip install ./python` works offline. It packs shmkit/ (the .py files and py.typed) with the
metadata of pyproject.toml's [project] table: name, version, description, readme,
requires-python, classifiers.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from typing import Any

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "shmkit"
TAG = "py3-none-any"


def _project() -> dict[str, Any]:
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        text = f.read()
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the few plain keys this backend reads
        section = re.search(rb"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        body = section.group(1).decode() if section else ""
        project: dict[str, Any] = dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"', body, re.M))
        project["classifiers"] = re.findall(r'^\s*"([^"]+ :: [^"]+)"', body, re.M)
        return project
    return dict(tomllib.loads(text.decode())["project"])


def _dist_info(project: dict[str, Any]) -> str:
    return f"{project['name']}-{project['version']}.dist-info"


def _metadata(project: dict[str, Any]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    readme = project.get("readme")
    body = ""
    if isinstance(readme, str) and os.path.exists(os.path.join(HERE, readme)):
        lines.append("Description-Content-Type: text/markdown")
        with open(os.path.join(HERE, readme), encoding="utf-8") as f:
            body = "\n" + f.read()
    return "\n".join(lines) + "\n" + body


def _wheel_file() -> str:
    return f"Wheel-Version: 1.0\nGenerator: shmkit_build\nRoot-Is-Purelib: true\nTag: {TAG}\n"


def _package_files() -> list[tuple[str, str]]:
    """(path in the wheel, path on disk) of every file of the package."""
    files = []
    root = os.path.join(HERE, PACKAGE)
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or name == "py.typed":
                path = os.path.join(folder, name)
                files.append((os.path.relpath(path, HERE).replace(os.sep, "/"), path))
    return files


def _write_wheel(directory: str, members: list[tuple[str, bytes]]) -> str:
    project = _project()
    dist_info = _dist_info(project)
    members = members + [
        (f"{dist_info}/METADATA", _metadata(project).encode()),
        (f"{dist_info}/WHEEL", _wheel_file().encode()),
        (f"{dist_info}/top_level.txt", f"{PACKAGE}\n".encode()),
    ]
    record = []
    for name, data in members:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    filename = f"{project['name']}-{project['version']}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in members + [(f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode())]:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return filename


def get_requires_for_build_wheel(config_settings: Any = None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings: Any = None) -> list[str]:
    return []


def get_requires_for_build_editable(config_settings: Any = None) -> list[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Any = None) -> str:
    project = _project()
    folder = os.path.join(metadata_directory, _dist_info(project))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(project))
    with open(os.path.join(folder, "WHEEL"), "w") as f:
        f.write(_wheel_file())
    return os.path.basename(folder)


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    members = []
    for name, path in _package_files():
        with open(path, "rb") as f:
            members.append((name, f.read()))
    return _write_wheel(wheel_directory, members)


def build_editable(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    """`pip install -e ./python`: a .pth file that puts this folder on sys.path."""
    return _write_wheel(wheel_directory, [(f"_{PACKAGE}_editable.pth", (HERE + "\n").encode())])


def build_sdist(sdist_directory: str, config_settings: Any = None) -> str:
    project = _project()
    base = f"{project['name']}-{project['version']}"
    filename = f"{base}.tar.gz"
    paths = ["pyproject.toml", "README.md", "_build/shmkit_build.py"] + [name for name, _ in _package_files()]
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as sdist:
        for path in paths:
            sdist.add(os.path.join(HERE, path), arcname=f"{base}/{path}")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = _metadata(project).encode()
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    return filename
