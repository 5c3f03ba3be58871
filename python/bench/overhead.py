"""ctypes or cffi? The per-call overhead of each, measured in one run.

    SHMKIT_LIBRARY=.build/release/libshmkit.so SHMD=.build/release/shmd python3 python/bench/overhead.py

Starts its own shmd (a unique prefix, one fast channel of 64 slots x 1 KiB), then, in one
process, with each binding in turn and the bindings interleaved round by round:

- "trivial call": shmkit_writer_max_message_size(writer), a call that does no work;
- "send+receive 64 B": shmkit_send of 64 bytes, then shmkit_receive of it into a buffer and a
  copy out as bytes (what Reader.receive returns), on the same thread, so the ring never fills;
- "batches of 64, per message" (the package only): send_batch of 64 messages of 64 B, then
  receive_batch until all 64 are back, per message.

Bindings: ctypes (the standard library) twice, with argtypes declared (ctypes converts each
Python argument) and without (each argument already a ctypes object, as the package passes
them), cffi in ABI mode (ffi.dlopen, no compiler), cffi in API
mode (an extension module compiled here against shmkit.h, when a C compiler is there), and the
shmkit package itself (Writer.send + Reader.receive, which is ctypes plus its checks). Prints the
median over the rounds of nanoseconds per call (per pair for send+receive), and writes JSON with
--json FILE.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CDEF = """
int shmkit_writer_open(const char *channel, const char *prefix, double wait_seconds, void **writer);
size_t shmkit_writer_max_message_size(const void *writer);
int shmkit_send(void *writer, const char *data, size_t length, double timeout_seconds);
int shmkit_writer_close(void *writer);
void shmkit_writer_free(void *writer);
int shmkit_reader_open(const char *channel, const char *prefix, double wait_seconds, void **reader);
int shmkit_receive(void *reader, char *buffer, size_t capacity, size_t *length, double timeout_seconds);
int shmkit_reader_close(void *reader);
void shmkit_reader_free(void *reader);
"""

PAYLOAD = bytes(range(64))


def start_shmd(shmd: str, prefix: str, folder: str) -> subprocess.Popen[bytes]:
    config = os.path.join(folder, "shmd.toml")
    with open(config, "w") as f:
        f.write(f'[daemon]\nprefix = "{prefix}"\n\n[[channel]]\nname = "bench"\nslots = 64\nslot-size = 1024\nprotocol = "fast"\n')
    daemon = subprocess.Popen([shmd, "--config", config], stderr=subprocess.PIPE)
    assert daemon.stderr is not None
    deadline = time.monotonic() + 30
    seen = b""
    while time.monotonic() < deadline:
        line = daemon.stderr.readline()
        if not line:
            raise SystemExit(f"shmd exited before it was ready: {seen.decode(errors='replace')}")
        seen += line
        if b"ready" in line:
            return daemon
    raise SystemExit("shmd was not ready within 30 s")


def ctypes_binding(library: str, prefix: bytes) -> dict[str, Callable[[int], None]]:
    lib = ctypes.CDLL(library)
    vp, sz = ctypes.c_void_p, ctypes.c_size_t
    lib.shmkit_writer_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_double, ctypes.POINTER(vp)]
    lib.shmkit_reader_open.argtypes = lib.shmkit_writer_open.argtypes
    lib.shmkit_writer_max_message_size.argtypes = [vp]
    lib.shmkit_writer_max_message_size.restype = sz
    lib.shmkit_send.argtypes = [vp, vp, sz, ctypes.c_double]
    lib.shmkit_receive.argtypes = [vp, vp, sz, ctypes.POINTER(sz), ctypes.c_double]
    writer, reader = vp(), vp()
    assert lib.shmkit_writer_open(b"bench", prefix, 5.0, ctypes.byref(writer)) == 0
    assert lib.shmkit_reader_open(b"bench", prefix, 5.0, ctypes.byref(reader)) == 0
    size = lib.shmkit_writer_max_message_size(writer)
    buffer = ctypes.create_string_buffer(size)
    view = memoryview(buffer).cast("B")
    length = sz()
    length_p = ctypes.pointer(length)
    max_size, send, receive = lib.shmkit_writer_max_message_size, lib.shmkit_send, lib.shmkit_receive

    def trivial(n: int) -> None:
        for _ in range(n):
            max_size(writer)

    def pair(n: int) -> None:
        for _ in range(n):
            if send(writer, PAYLOAD, 64, 1.0) or receive(reader, buffer, size, length_p, 1.0):
                raise RuntimeError("ctypes: a call failed")
            view[: length.value].tobytes()

    return {"trivial call": trivial, "send+receive 64 B": pair}


def ctypes_plain_binding(library: str, prefix: bytes) -> dict[str, Callable[[int], None]]:
    """ctypes without argtypes: every argument already a ctypes object (or bytes), as the
    package passes them, so that ctypes converts nothing."""
    lib = ctypes.CDLL(library)
    vp, sz = ctypes.c_void_p, ctypes.c_size_t
    writer, reader = vp(), vp()
    assert lib.shmkit_writer_open(b"bench", prefix, ctypes.c_double(5.0), ctypes.byref(writer)) == 0
    assert lib.shmkit_reader_open(b"bench", prefix, ctypes.c_double(5.0), ctypes.byref(reader)) == 0
    lib.shmkit_writer_max_message_size.restype = sz
    size = lib.shmkit_writer_max_message_size(writer)
    buffer = ctypes.create_string_buffer(size)
    view = memoryview(buffer).cast("B")
    length = sz()
    length_p = ctypes.pointer(length)
    timeout, payload_length, capacity = ctypes.c_double(1.0), sz(64), sz(size)
    max_size, send, receive = lib.shmkit_writer_max_message_size, lib.shmkit_send, lib.shmkit_receive

    def trivial(n: int) -> None:
        for _ in range(n):
            max_size(writer)

    def pair(n: int) -> None:
        for _ in range(n):
            if send(writer, PAYLOAD, payload_length, timeout) or receive(reader, buffer, capacity, length_p, timeout):
                raise RuntimeError("ctypes: a call failed")
            view[: length.value].tobytes()

    return {"trivial call": trivial, "send+receive 64 B": pair}


def cffi_binding(lib: object, ffi: object, prefix: bytes) -> dict[str, Callable[[int], None]]:
    writer_p, reader_p = ffi.new("void **"), ffi.new("void **")  # type: ignore[attr-defined]
    assert lib.shmkit_writer_open(b"bench", prefix, 5.0, writer_p) == 0  # type: ignore[attr-defined]
    assert lib.shmkit_reader_open(b"bench", prefix, 5.0, reader_p) == 0  # type: ignore[attr-defined]
    writer, reader = writer_p[0], reader_p[0]
    size = lib.shmkit_writer_max_message_size(writer)  # type: ignore[attr-defined]
    buffer = ffi.new("char[]", size)  # type: ignore[attr-defined]
    view = ffi.buffer(buffer)  # type: ignore[attr-defined]
    length = ffi.new("size_t *")  # type: ignore[attr-defined]
    max_size, send, receive = lib.shmkit_writer_max_message_size, lib.shmkit_send, lib.shmkit_receive  # type: ignore[attr-defined]

    def trivial(n: int) -> None:
        for _ in range(n):
            max_size(writer)

    def pair(n: int) -> None:
        for _ in range(n):
            if send(writer, PAYLOAD, 64, 1.0) or receive(reader, buffer, size, length, 1.0):
                raise RuntimeError("cffi: a call failed")
            view[0 : length[0]]

    return {"trivial call": trivial, "send+receive 64 B": pair}


def cffi_api_module(library: str, folder: str) -> tuple[object, object] | str:
    """cffi's API mode: an extension compiled against shmkit.h, or why it could not be."""
    try:
        import cffi
    except ImportError:
        return "cffi is not installed"
    # The prototypes of CDEF, ABI-compatible with shmkit.h's (void * for the typed handles, so
    # that both cffi modes and ctypes make the very same calls).
    builder = cffi.FFI()
    builder.cdef(CDEF)
    builder.set_source(
        "_shmkit_api_bench",
        "#include <stddef.h>\n" + CDEF,
        libraries=["shmkit"],
        library_dirs=[os.path.dirname(os.path.abspath(library))],
    )
    try:
        built = builder.compile(tmpdir=folder, verbose=False)
    except Exception as error:  # no compiler, no headers
        return f"could not compile: {error}"
    # The extension needs libshmkit.so.1: loaded first, by its path, the loader finds it by soname.
    ctypes.CDLL(os.path.abspath(library), mode=ctypes.RTLD_GLOBAL)
    sys.path.insert(0, os.path.dirname(built))
    import importlib

    module = importlib.import_module("_shmkit_api_bench")
    return module.lib, module.ffi


def package_binding(prefix: str) -> dict[str, Callable[[int], None]]:
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import shmkit

    writer = shmkit.Writer("bench", prefix=prefix, wait=5)
    reader = shmkit.Reader("bench", prefix=prefix, wait=5)

    def pair(n: int) -> None:
        send, receive = writer.send, reader.receive
        for _ in range(n):
            send(PAYLOAD)
            receive()

    batch = [PAYLOAD] * 64

    def batched(n: int) -> None:
        send_batch, receive_batch = writer.send_batch, reader.receive_batch
        for _ in range(n // 64):
            send_batch(batch)
            left = 64
            while left:
                left -= len(receive_batch(left))

    # No trivial call: the package answers max_message_size without calling the library.
    return {"send+receive 64 B": pair, "batches of 64, per message": batched}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="calls per binding and case, in all (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    library = os.environ.get("SHMKIT_LIBRARY") or os.path.join(ROOT, ".build", "release", "libshmkit.so")
    shmd = os.environ.get("SHMD") or os.path.join(ROOT, ".build", "release", "shmd")
    os.environ["SHMKIT_LIBRARY"] = library
    prefix = f"ovh{os.getpid()}"
    with tempfile.TemporaryDirectory() as folder:
        daemon = start_shmd(shmd, prefix, folder)
        try:
            bindings: dict[str, dict[str, Callable[[int], None]]] = {
                "ctypes (argtypes)": ctypes_binding(library, prefix.encode()),
                "ctypes (ctypes arguments)": ctypes_plain_binding(library, prefix.encode()),
            }
            notes: dict[str, str] = {}
            try:
                import cffi

                abi = cffi.FFI()
                abi.cdef(CDEF)
                bindings["cffi ABI (dlopen)"] = cffi_binding(abi.dlopen(library), abi, prefix.encode())
            except ImportError:
                notes["cffi ABI (dlopen)"] = "cffi is not installed"
            api = cffi_api_module(library, folder)
            if isinstance(api, str):
                notes["cffi API (compiled)"] = api
            else:
                bindings["cffi API (compiled)"] = cffi_binding(api[0], api[1], prefix.encode())
            bindings["shmkit package (ctypes)"] = package_binding(prefix)
            per_round = args.count // args.rounds
            cases = ["trivial call", "send+receive 64 B", "batches of 64, per message"]
            results: dict[str, dict[str, list[float]]] = {b: {c: [] for c in cases} for b in bindings}
            for name in bindings:  # warm-up
                for case in cases:
                    if case in bindings[name]:
                        bindings[name][case](10_000)
            for _ in range(args.rounds):
                for case in cases:
                    for name, binding in bindings.items():
                        if case not in binding:
                            continue
                        start = time.perf_counter_ns()
                        binding[case](per_round)
                        results[name][case].append((time.perf_counter_ns() - start) / per_round)
        finally:
            daemon.terminate()
            daemon.wait(30)
    print(f"Python {platform.python_version()}, {args.count:,} calls per binding and case, {args.rounds} interleaved rounds, median ns per call")
    print(f"{'binding':<27} " + " ".join(f"{c:>20}" for c in cases))
    for name in bindings:
        print(f"{name:<27} " + " ".join(f"{statistics.median(results[name][c]):>20.0f}" if results[name][c] else f"{'-':>20}" for c in cases))
    for name, why in notes.items():
        print(f"{name:<26} not measured: {why}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"python": platform.python_version(), "count": args.count, "rounds": args.rounds, "ns_per_call": results, "notes": notes}, f, indent=2)


if __name__ == "__main__":
    main()
