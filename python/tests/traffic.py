"""Reproducible traffic for the cross-language and crash tests, and a command line for children:

    python traffic.py write CHANNEL PREFIX COUNT SLOT_SIZE SEED [text|binary]
    python traffic.py read  CHANNEL PREFIX COUNT SLOT_SIZE SEED [text|binary]

Message i of (seed, slot size) is the same bytes wherever it is made: a length drawn from
0..slot size and that many bytes of a random block. Text traffic has no newline in it (what the
commands' line mode carries); binary traffic has every byte value, NULs included, empty
messages and ones of exactly the slot size.
"""

from __future__ import annotations

import array
import random
import struct
import sys
from collections.abc import Iterable, Iterator

BATCH = 256


def messages(count: int, slot_size: int, seed: int, text: bool) -> Iterator[bytes]:
    rng = random.Random(seed)
    block = rng.randbytes(64 * 1024 + slot_size)
    if text:
        block = block.replace(b"\n", b"N")
    span = len(block) - slot_size
    # Lengths and starts drawn in bulk (a modulo's slight bias does not matter here).
    lengths, starts = array.array("I"), array.array("I")
    lengths.frombytes(rng.randbytes(4 * count))
    starts.frombytes(rng.randbytes(4 * count))
    whole = slot_size + 1
    for i in range(count):
        # Every 97th message is empty and every 89th exactly a slot, so both ends are always in.
        length = 0 if i % 97 == 3 else slot_size if i % 89 == 5 else lengths[i] % whole
        start = starts[i] % span
        yield block[start : start + length]


def batches(items: Iterable[bytes], size: int = BATCH) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def frames(items: Iterable[bytes], binary: bool) -> Iterator[bytes]:
    """What shm-writer reads on standard input for ``items``, in chunks."""
    for batch in batches(items, 1024):
        if binary:
            yield b"".join(struct.pack("<I", len(m)) + m for m in batch)
        else:
            yield b"\n".join(batch) + b"\n"


def unframe(stream: object, binary: bool) -> Iterator[bytes]:
    """The messages shm-reader wrote to ``stream`` (a binary file object)."""
    read = stream.read  # type: ignore[attr-defined]
    if binary:
        while True:
            header = read(4)
            if not header:
                return
            if len(header) < 4:
                raise AssertionError(f"a frame header cut short: {header!r}")
            (length,) = struct.unpack("<I", header)
            data = read(length)
            if len(data) < length:
                raise AssertionError(f"a frame of {length} bytes cut short at {len(data)}")
            yield data
    else:
        for line in stream:  # type: ignore[attr-defined]
            if not line.endswith(b"\n"):
                raise AssertionError(f"a line without its newline: {line[:40]!r}")
            yield line[:-1]


def compare(received: Iterable[bytes], count: int, slot_size: int, seed: int, text: bool) -> int:
    """Checks that ``received`` is exactly messages(count, ...), in order; returns the count."""
    expected = messages(count, slot_size, seed, text)
    index = 0
    for index, (got, want) in enumerate(zip(received, expected), start=1):
        if got != want:
            raise AssertionError(f"message {index - 1} differs: got {len(got)} bytes {got[:32]!r}..., want {len(want)} bytes {want[:32]!r}...")
    if index != count:
        raise AssertionError(f"{index} messages arrived, {count} were sent")
    return index


def write(channel: str, prefix: str, count: int, slot_size: int, seed: int, text: bool) -> None:
    import shmkit

    with shmkit.Writer(channel, prefix=prefix, wait=30) as writer:
        for batch in batches(messages(count, slot_size, seed, text)):
            writer.send_batch(batch, timeout=60)


def receive_all(reader: object, count: int) -> Iterator[bytes]:
    """``count`` messages from a shmkit.Reader, taken in batches."""
    left = count
    while left > 0:
        batch = reader.receive_batch(min(left, BATCH), timeout=60)  # type: ignore[attr-defined]
        left -= len(batch)
        yield from batch


def read(channel: str, prefix: str, count: int, slot_size: int, seed: int, text: bool) -> None:
    import shmkit

    with shmkit.Reader(channel, prefix=prefix, wait=30) as reader:
        compare(receive_all(reader, count), count, slot_size, seed, text)


if __name__ == "__main__":
    role, channel, prefix, count, slot_size, seed, mode = sys.argv[1:8]
    {"write": write, "read": read}[role](channel, prefix, int(count), int(slot_size), int(seed), mode == "text")
