"""Finding and loading libshmkit, and the prototypes of shmkit.h for ctypes.

The library is looked for, in this order:

1. the file named by the environment variable ``SHMKIT_LIBRARY`` (only that one when it is set);
2. ``libshmkit.so.1`` as the dynamic loader finds it (``LD_LIBRARY_PATH``, the ldconfig cache,
   the system directories);
3. ``/usr/local/lib`` (``make install``'s default PREFIX, which the ldconfig cache may not know
   yet), this Python's ``sys.prefix/lib``, ``/usr/lib`` and ``/usr/lib/<multiarch>``, and every
   directory ldconfig knows.

The first one that loads is kept for the life of the process. Any libshmkit 1.x loads: one
older than 1.1 lacks the fan-out functions (SINCE_1_1), and has() says so.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator
from ctypes import POINTER, c_char_p, c_double, c_int, c_size_t, c_uint64, c_void_p

from .errors import LibraryNotFound

SONAME = "libshmkit.so.1"
ENV = "SHMKIT_LIBRARY"

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_raw: ctypes.CDLL | None = None
_path: str | None = None


def _ldconfig_dirs() -> list[str]:
    """The directories of the ldconfig cache that hold a libshmkit, if ldconfig can say."""
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        found = []
        for line in out.splitlines():
            if "libshmkit.so" in line and "=>" in line:
                found.append(os.path.dirname(line.split("=>", 1)[1].strip()))
        return found
    return []


def candidates() -> Iterator[str]:
    """The paths tried without SHMKIT_LIBRARY, in order: the bare soname first, then files in
    the folders (ldconfig is asked only if the ones before did not load)."""
    yield SONAME
    dirs = ["/usr/local/lib", os.path.join(sys.prefix, "lib"), "/usr/lib"]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        dirs += [f"/usr/local/lib/{multiarch}", f"/usr/lib/{multiarch}"]
    seen = set()
    for folder in itertools.chain(dirs, _lazy(_ldconfig_dirs)):
        path = os.path.join(folder, SONAME)
        if path not in seen:
            seen.add(path)
            yield path


def _lazy(produce: Callable[[], list[str]]) -> Iterator[str]:
    yield from produce()


#: The functions shmkit.h gained in 1.1 (fan-out channels), with their prototypes. A 1.0
#: library loads without them; has() says which are there.
SINCE_1_1: dict[str, tuple[object, list[object]]] = {
    "shmkit_reader_open_from": (c_int, [c_char_p, c_char_p, c_double, c_int, POINTER(c_void_p)]),
    "shmkit_reader_is_fanout": (c_int, [c_void_p]),
    "shmkit_reader_lost": (c_uint64, [c_void_p]),
    "shmkit_reader_take_gap": (c_uint64, [c_void_p]),
}


def _declare(lib: ctypes.CDLL) -> None:
    """Gives each function of shmkit.h its C prototype."""
    size_p = POINTER(c_size_t)
    protos: dict[str, tuple[object, list[object]]] = {
        "shmkit_last_error": (c_char_p, []),
        "shmkit_last_error_kind": (c_int, []),
        "shmkit_writer_open": (c_int, [c_char_p, c_char_p, c_double, POINTER(c_void_p)]),
        "shmkit_writer_max_message_size": (c_size_t, [c_void_p]),
        "shmkit_send": (c_int, [c_void_p, c_void_p, c_size_t, c_double]),
        # messages and lengths as c_void_p: arrays of either element type, or an address.
        "shmkit_send_batch": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_double, size_p]),
        "shmkit_claim": (c_int, [c_void_p, POINTER(c_void_p), size_p, c_double]),
        "shmkit_commit": (c_int, [c_void_p, c_size_t]),
        "shmkit_abandon": (c_int, [c_void_p]),
        "shmkit_writer_close": (c_int, [c_void_p]),
        "shmkit_writer_free": (None, [c_void_p]),
        "shmkit_reader_open": (c_int, [c_char_p, c_char_p, c_double, POINTER(c_void_p)]),
        "shmkit_reader_max_message_size": (c_size_t, [c_void_p]),
        "shmkit_receive": (c_int, [c_void_p, c_void_p, c_size_t, size_p, c_double]),
        "shmkit_receive_batch": (c_int, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, size_p, c_double]),
        "shmkit_borrow": (c_int, [c_void_p, POINTER(c_void_p), size_p, c_double]),
        "shmkit_release": (c_int, [c_void_p]),
        "shmkit_reader_close": (c_int, [c_void_p]),
        "shmkit_reader_free": (None, [c_void_p]),
    }
    for name, (restype, argtypes) in protos.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    for name, (restype, argtypes) in SINCE_1_1.items():
        function = getattr(lib, name, None)  # a 1.0 library has none of them: see has()
        if function is not None:
            function.restype = restype
            function.argtypes = argtypes


def load() -> ctypes.CDLL:
    """libshmkit, loaded and declared on the first call.

    Raises:
        LibraryNotFound: naming every path tried, why each failed, and the fix.
    """
    global _lib, _path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        explicit = os.environ.get(ENV)
        paths = [explicit] if explicit else candidates()
        failures = []
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError as error:
                text = str(error)  # dlerror()'s, which names the file itself
                failures.append(f"  {path}: {text[len(path) + 2:] if text.startswith(path + ': ') else text}")
                continue
            try:
                _declare(lib)
            except AttributeError as error:
                failures.append(f"  {path}: not libshmkit 1.x ({error})")
                continue
            _lib, _path = lib, path
            _raw_functions(path)
            return lib
        fix = (
            f"{ENV}={explicit} could not be loaded: point it at a built libshmkit.so.1 "
            "(swift build puts it in .build/debug/libshmkit.so)"
            if explicit
            else f"install libshmkit (`make install` in the shmd checkout puts it in /usr/local/lib), "
            f"or set {ENV} to the path of libshmkit.so.1 (swift build puts it in .build/debug/libshmkit.so)"
        )
        raise LibraryNotFound("cannot load libshmkit; tried:\n" + "\n".join(failures) + "\n" + fix)


def _raw_functions(path: str) -> None:
    global _raw
    _raw = ctypes.CDLL(path)  # the same library (dlopen counts it twice), other function objects
    if hasattr(_raw, "shmkit_reader_take_gap"):
        _raw.shmkit_reader_take_gap.restype = c_uint64  # a uint64_t, not the default int


def raw() -> ctypes.CDLL:
    """The loaded library again, with no argtypes declared: for the calls on every message.

    Declared argtypes make ctypes convert each Python argument on each call, which is most of
    a call's cost (bench/overhead.py: about 0.45 us of a send and receive's 1.4 us); the
    package passes these functions ctypes objects it made beforehand instead (c_void_p,
    c_size_t, c_double, arrays, pointers) and bytes, which ctypes passes as they are. Each
    function's result is the C int status (ctypes' default restype).
    """
    load()
    assert _raw is not None
    return _raw


def has(name: str) -> bool:
    """Whether the loaded library has the function ``name``: those of SINCE_1_1 are missing
    from a libshmkit 1.0 (loads it first)."""
    return hasattr(load(), name)


def path() -> str | None:
    """The path (or soname) libshmkit was loaded from, or None before it was loaded."""
    return _path
