"""Numbered, checkable messages for the fan-out tests, and a command line for children:

    python fanout.py write CHANNEL PREFIX ID COUNT single|batch
    python fanout.py read  CHANNEL PREFIX WRITERS COUNT batch|borrow|iterate

Message ``seq`` of writer ``id`` is the two as little-endian u32s, then 0 to 52 bytes derived
from both (it fits a 64-byte slot): ``parse`` returns (id, seq) only for a message that is
exactly what that writer sent, so a torn or foreign message shows.

The writer sends its COUNT messages one by one (``single``) or in batches of 64. The reader
prints ``attached`` once it is attached, then takes WRITERS × COUNT messages (in batches, by
borrowing, or by iterating) and prints one line of JSON: ``fanout`` (is_fanout), ``received``
(the count per writer), ``problems`` (the first messages that were torn or out of a writer's
order), ``lost``, ``gaps`` (the sum of take_gap()) and ``extra`` (whether a message more came).
"""

from __future__ import annotations

import json
import struct
import sys

BLOCK = bytes(range(256)) * 2
HEADER = struct.Struct("<II")


def message(writer: int, seq: int) -> bytes:
    length = (writer * 7 + seq * 13) % 53
    start = (writer * 31 + seq) % 256
    return HEADER.pack(writer, seq) + BLOCK[start : start + length]


def parse(data: bytes) -> tuple[int, int] | None:
    """(writer, seq) of an intact message, else None."""
    if len(data) < HEADER.size:
        return None
    writer, seq = HEADER.unpack_from(data)
    return (writer, seq) if data == message(writer, seq) else None


def write(channel: str, prefix: str, writer_id: int, count: int, mode: str) -> None:
    import shmkit

    with shmkit.Writer(channel, prefix=prefix, wait=30) as writer:
        if mode == "single":
            for seq in range(count):
                writer.send(message(writer_id, seq), timeout=60)
        else:
            for first in range(0, count, 64):
                writer.send_batch([message(writer_id, seq) for seq in range(first, min(first + 64, count))], timeout=60)


def read(channel: str, prefix: str, writers: int, count: int, mode: str) -> dict[str, object]:
    import shmkit

    received = [0] * writers
    problems: list[str] = []
    gaps = 0
    with shmkit.Reader(channel, prefix=prefix, wait=30) as reader:
        print("attached", flush=True)

        def take(data: bytes) -> None:
            parsed = parse(data)
            if parsed is None or parsed[0] >= writers:
                problems.append(f"torn or foreign: {data[:16]!r}")
            elif parsed[1] != received[parsed[0]]:
                problems.append(f"writer {parsed[0]}: message {parsed[1]} where {received[parsed[0]]} was next")
            else:
                received[parsed[0]] += 1

        total = writers * count
        taken = 0
        if mode == "iterate":
            for data in reader:
                gaps += reader.take_gap()
                take(data)
                taken += 1
                if taken == total:
                    break
        while mode != "iterate" and taken < total:
            if mode == "batch":
                batch = reader.receive_batch(64, timeout=60)
            else:
                with reader.borrow(timeout=60) as view:
                    batch = [bytes(view)]
            gaps += reader.take_gap()
            for data in batch:
                take(data)
            taken += len(batch)
        try:
            reader.receive(timeout=0)
            extra = True
        except shmkit.Timeout:
            extra = False
        return {"fanout": reader.is_fanout, "received": received, "problems": problems[:5], "lost": reader.lost, "gaps": gaps, "extra": extra}


if __name__ == "__main__":
    role, channel, prefix, number, count, mode = sys.argv[1:7]
    if role == "write":
        write(channel, prefix, int(number), int(count), mode)
    else:
        print(json.dumps(read(channel, prefix, int(number), int(count), mode)), flush=True)
