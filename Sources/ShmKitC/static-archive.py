#!/usr/bin/env python3
"""Builds libshmkit.a: the objects SwiftPM links into libshmkit.so, and the parts of the static
Swift runtime they use, in one relocatable object with only the shmkit_ symbols global, so that
a C program links it with `cc app.c libshmkit.a -lstdc++ -lm -lpthread -ldl` and needs nothing
from the Swift toolchain (the same promise as the shared library, which links the runtime in
with -static-stdlib). SwiftPM's own static library product would leave the runtime out.

Usage: static-archive.py BUILD_DIR CONFIGURATION OUTPUT   (e.g. .build release .build/release/libshmkit.a)
"""
import glob
import json
import os
import subprocess
import sys
import tempfile


def fail(message):
    sys.exit(f"static-archive.py: {message}")


def link_inputs(build_dir, configuration):
    """The object files of the libshmkit.so link command in SwiftPM's build description."""
    description = os.path.join(build_dir, f"{configuration}.yaml")
    try:
        text = open(description, encoding="utf-8").read()
    except OSError as error:
        fail(f"cannot read {description} ({error.strerror}): build first (`swift build -c {configuration}`)")
    index = text.find('"C.shmkit-')
    while index >= 0 and not text[index:text.index("\n", index)].endswith(f"-{configuration}.dylib\":"):
        index = text.find('"C.shmkit-', index + 1)
    if index < 0:
        fail(f"{description} has no link command for libshmkit.so: is the shmkit product in Package.swift?")
    begin = text.index("inputs: [", index) + len("inputs: ")
    end = text.index("]", begin) + 1
    return [path for path in json.loads(text[begin:end]) if path.endswith(".o")]


def main():
    if len(sys.argv) != 4:
        fail("usage: static-archive.py BUILD_DIR CONFIGURATION OUTPUT")
    build_dir, configuration, output = sys.argv[1:]
    objects = link_inputs(build_dir, configuration)
    info = json.loads(subprocess.run(["swift", "-print-target-info"], check=True, capture_output=True, text=True).stdout)
    runtime = os.path.join(os.path.dirname(info["paths"]["runtimeResourcePath"]), "swift_static", "linux")
    startup = glob.glob(os.path.join(runtime, "*", "swiftrt.o"))
    if not startup:
        fail(f"no swiftrt.o under {runtime}: this toolchain has no static Swift runtime")
    archives = [os.path.join(runtime, f"libswift{name}.a") for name in ("Glibc", "Synchronization", "SwiftOnoneSupport", "Core")]
    with tempfile.TemporaryDirectory() as scratch:
        combined = os.path.join(scratch, "shmkit-all.o")
        hidden = os.path.join(scratch, "shmkit.o")
        subprocess.run(["ld", "-r", "-o", combined, startup[0], *objects, "--start-group", *archives, "--end-group"], check=True)
        # Only the C API stays global: the runtime's symbols must not meet another copy of them.
        subprocess.run(["objcopy", "--wildcard", "--keep-global-symbol=shmkit_*", combined, hidden], check=True)
        if os.path.exists(output):
            os.remove(output)
        subprocess.run(["ar", "rcs", output, hidden], check=True)
    print(f"static-archive.py: {output} from {len(objects)} objects and the static Swift runtime")


if __name__ == "__main__":
    main()
