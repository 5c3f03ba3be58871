#!/usr/bin/env python3
"""shm-bench's Python transports: one side of a measurement, as a Python program would do it.

    roles.py role TRANSPORT SIDE SIZE COUNT --prefix P --channel C --reply-channel R --cpu N
             --warmup W [--peer-cpu N]

TRANSPORT is one of

- ``python``: the shmkit package over a shmd fast channel (Writer.send_batch and
  Reader.receive_batch, 64 messages a call, for throughput; send and receive for the round trip);
- ``iceoryx2-python``: iceoryx2's own Python binding (pip install iceoryx2==0.10.0),
  publish-subscribe of byte slices with lossless settings: no safe overflow, and a publisher that
  retries until delivered, so nothing is lost, as on a shmd channel. It has no batch call: one
  loan, fill and send per message. The subscriber busy-polls receive(), its fastest way;
- ``mp-queue``: ``multiprocessing.Queue`` (put, get). A queue reaches only a process forked from
  the one that made it, so the writer (or ping) side forks the reader (or pong) side itself and
  pins it to --peer-cpu.

SIDE is writer, reader, ping or pong. The start barrier and the output are shm-bench's own: a
byte to descriptor 10 once attached, a byte read from descriptor 11 before the first message;
then ``t0=NS`` (writer), ``t1=NS errors=N`` (reader) or ``p50=NS p99=NS p999=NS errors=N``
(ping), in CLOCK_MONOTONIC nanoseconds. Every message carries its sequence number in its first 8
bytes, little-endian, and the reader checks every one.

Each transport runs the fastest way a user would write that was found here. For iceoryx2 that
is ctypes.memmove into the loaned sample and ctypes.string_at out of the received one: in one
process, a send and a receive of 64 B took about 4.8 us that way and 6.5 us through the samples'
memoryview (which also needs a cast('B') to be written at all).
"""

from __future__ import annotations

import argparse
import ctypes
import multiprocessing
import os
import struct
import sys
import time
from typing import Any, Callable

READY, GO = 10, 11
BATCH = 64
STAMP = struct.Struct("<Q")
now = time.monotonic_ns


def barrier() -> None:
    os.write(READY, b"\x01")
    if os.read(GO, 1) != b"\x01":
        raise SystemExit("roles.py: the start barrier closed")
    os.close(READY)


def pin(cpu: int) -> None:
    if cpu >= 0:
        os.sched_setaffinity(0, {cpu})


def percentiles(trips: list[int]) -> str:
    trips.sort()
    count = len(trips)

    def at(p: float) -> int:
        return trips[min(count - 1, int(p / 100 * (count - 1) + 0.5))]

    return f"p50={at(50)} p99={at(99)} p999={at(99.9)}"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def ping(trip: Callable[[int], bytes], count: int, warmup: int) -> None:
    """The ping side after its setup: the start barrier, then ``count + warmup`` round trips,
    ``trip(sequence)`` sending message ``sequence`` and returning the reply; prints the
    percentiles of all but the warm-up ones. The same loop for every transport, so that each
    pays the same for it."""
    unpack = STAMP.unpack_from
    trips: list[int] = []
    errors = 0
    barrier()
    for sequence in range(count + warmup):
        start = now()
        if unpack(trip(sequence))[0] != sequence:
            errors += 1
        elapsed = now() - start
        if sequence >= warmup:
            trips.append(elapsed)
    say(f"{percentiles(trips)} errors={errors}")


# ---- shmkit ------------------------------------------------------------------------------------


def shmkit_role(args: argparse.Namespace) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(here))  # python/, where the package is
    import shmkit

    size, count, side = args.size, args.count, args.side
    if side == "writer":
        writer = shmkit.Writer(args.channel, prefix=args.prefix)
        messages = [bytearray(b"x" * size) for _ in range(BATCH)]
        pack = STAMP.pack_into
        barrier()
        start = now()
        sent = 0
        while sent < count:
            n = min(BATCH, count - sent)
            batch = messages if n == BATCH else messages[:n]
            for i in range(n):
                pack(batch[i], 0, sent + i)
            sent += writer.send_batch(batch)
        say(f"t0={start}")
        writer.close()
    elif side == "reader":
        reader = shmkit.Reader(args.channel, prefix=args.prefix)
        unpack = STAMP.unpack_from
        barrier()
        expected = errors = 0
        while expected < count:
            for message in reader.receive_batch(min(BATCH, count - expected)):
                if len(message) < 8 or unpack(message)[0] != expected:
                    errors += 1
                expected += 1
        say(f"t1={now()} errors={errors}")
        reader.close()
    elif side == "pong":
        writer = shmkit.Writer(args.reply_channel, prefix=args.prefix)
        reader = shmkit.Reader(args.channel, prefix=args.prefix)
        barrier()
        for _ in range(count + args.warmup):
            writer.send(reader.receive())
    else:
        writer = shmkit.Writer(args.channel, prefix=args.prefix)
        reader = shmkit.Reader(args.reply_channel, prefix=args.prefix)
        message = bytearray(b"x" * size)
        pack = STAMP.pack_into

        def trip(sequence: int) -> bytes:
            pack(message, 0, sequence)
            writer.send(message)
            return reader.receive()

        ping(trip, count, args.warmup)


# ---- iceoryx2 ----------------------------------------------------------------------------------


class Iceoryx2:
    """A node and a service of this run's own: its files carry the run's prefix, so that
    shm-bench removes exactly them afterwards (iceoryx2 keeps a management segment)."""

    def __init__(self, prefix: str) -> None:
        import iceoryx2 as iox2

        self.iox2 = iox2
        iox2.set_log_level(iox2.LogLevel.Error)
        config = iox2.config.default()
        config.global_cfg.prefix = iox2.FileName.new(f"{prefix}iox2_")
        config.global_cfg.root_path = iox2.Path.new(f"/tmp/{prefix}-iceoryx2/")
        self.node = iox2.NodeBuilder.new().config(config).create(iox2.ServiceType.Ipc)

    def service(self, name: str, size: int) -> Any:
        """The slots of shm-bench's own channels: 256, or 64 above 4 KiB."""
        iox2 = self.iox2
        # One service per measurement, not per channel: a subscriber of the last round may still
        # be counted in a service of the same name, and a publisher that took it for the new one
        # would send into it. Both sides of a measurement share shm-bench's start-barrier pipe,
        # so its inode names the measurement.
        measurement = os.fstat(GO).st_ino
        return (
            self.node.service_builder(iox2.ServiceName.new(f"shm-bench/{name}/{measurement}"))
            .publish_subscribe(iox2.Slice[ctypes.c_uint8])
            .enable_safe_overflow(False)
            .subscriber_max_buffer_size(64 if size > 4096 else 256)
            .history_size(0)
            .open_or_create()
        )

    def publisher(self, name: str, size: int) -> Any:
        service = self.service(name, size)
        publisher = (
            service.publisher_builder()
            .initial_max_slice_len(size)
            .backpressure_strategy(self.iox2.BackpressureStrategy.RetryUntilDelivered)
            .create()
        )
        return service, publisher

    def subscriber(self, name: str, size: int) -> Any:
        service = self.service(name, size)
        return service, service.subscriber_builder().create()


def wait_for_subscriber(service: Any, publisher: Any) -> None:
    """A publisher delivers only to the subscribers it is connected to when it sends: wait for
    ours to appear in the service, then connect to it before the first sample."""
    deadline = time.monotonic() + 30
    while service.dynamic_config.number_of_subscribers < 1:
        if time.monotonic() > deadline:
            raise SystemExit("roles.py: no iceoryx2 subscriber connected within 30 s")
        time.sleep(0.001)
    publisher.update_connections()


def iceoryx2_role(args: argparse.Namespace) -> None:
    ipc = Iceoryx2(args.prefix)
    size, count, side = args.size, args.count, args.side
    memmove, string_at = ctypes.memmove, ctypes.string_at
    pack, unpack = STAMP.pack_into, STAMP.unpack_from
    message = bytearray(b"x" * size)

    def send(publisher: Any, sequence: int) -> None:
        sample = publisher.loan_slice_uninit(size)
        pack(message, 0, sequence)
        memmove(sample.payload_ptr, bytes(message), size)
        sample.assume_init().send()

    def receive(subscriber: Any) -> bytes:
        # Busy-polls, but not forever: a sample that never comes is an error, not a hang.
        checked = 0
        begin = now()
        while True:
            sample = subscriber.receive()
            if sample is not None:
                data = string_at(sample.payload_ptr, sample.header.number_of_elements)
                sample.delete()
                return data
            checked += 1
            if checked % 100_000 == 0 and now() - begin > 60_000_000_000:
                raise SystemExit("roles.py: iceoryx2: no sample for 60 s (lost?)")

    if side == "writer":
        service, publisher = ipc.publisher(args.channel, size)
        wait_for_subscriber(service, publisher)
        barrier()
        start = now()
        for sequence in range(count):
            send(publisher, sequence)
        say(f"t0={start}")
        # The subscriber must have taken the last samples before the publisher goes.
        deadline = time.monotonic() + 60
        while service.dynamic_config.number_of_subscribers > 0 and time.monotonic() < deadline:
            time.sleep(0.001)
    elif side == "reader":
        _, subscriber = ipc.subscriber(args.channel, size)
        barrier()
        # Every message missing is an error, and the reader goes on from the next one it gets:
        # despite the lossless settings, iceoryx2 0.10's binding sometimes drops the samples
        # sent while the subscriber's buffer first fills (message 256 is followed by a later one
        # in a few runs of ten here), and waiting for them would never end.
        errors = 0
        expected = 0
        while expected < count:
            data = receive(subscriber)
            sequence = unpack(data)[0] if len(data) >= 8 else -1
            if sequence != expected:
                errors += sequence - expected if sequence > expected else 1
            expected = sequence + 1 if sequence > expected else expected + 1
        say(f"t1={now()} errors={errors}")
        subscriber.delete()
    elif side == "pong":
        _, subscriber = ipc.subscriber(args.channel, size)
        service, publisher = ipc.publisher(args.reply_channel, size)
        wait_for_subscriber(service, publisher)
        barrier()
        for _ in range(count + args.warmup):
            data = receive(subscriber)
            sample = publisher.loan_slice_uninit(len(data))
            memmove(sample.payload_ptr, data, len(data))
            sample.assume_init().send()
        subscriber.delete()
        deadline = time.monotonic() + 60
        while service.dynamic_config.number_of_subscribers > 0 and time.monotonic() < deadline:
            time.sleep(0.001)
    else:
        service, publisher = ipc.publisher(args.channel, size)
        _, subscriber = ipc.subscriber(args.reply_channel, size)
        wait_for_subscriber(service, publisher)

        def trip(sequence: int) -> bytes:
            send(publisher, sequence)
            return receive(subscriber)

        ping(trip, count, args.warmup)
        subscriber.delete()


# ---- multiprocessing.Queue ---------------------------------------------------------------------


def mp_reader(queue: Any, count: int, cpu: int) -> None:
    pin(cpu)
    barrier()
    unpack = STAMP.unpack_from
    errors = 0
    get = queue.get
    for expected in range(count):
        if unpack(get(timeout=60))[0] != expected:
            errors += 1
    say(f"t1={now()} errors={errors}")


def mp_pong(there: Any, back: Any, trips: int, cpu: int) -> None:
    pin(cpu)
    barrier()
    get, put = there.get, back.put
    for _ in range(trips):
        put(get(timeout=60))


def mp_queue_role(args: argparse.Namespace) -> None:
    context = multiprocessing.get_context("fork")
    size, count = args.size, args.count
    pack = STAMP.pack_into
    message = bytearray(b"x" * size)
    if args.side == "writer":
        queue = context.Queue()
        child = context.Process(target=mp_reader, args=(queue, count, args.peer_cpu))
        child.start()
        barrier()
        start = now()
        put = queue.put
        for sequence in range(count):
            pack(message, 0, sequence)
            put(bytes(message))
        say(f"t0={start}")
    elif args.side == "ping":
        there, back = context.Queue(), context.Queue()
        child = context.Process(target=mp_pong, args=(there, back, count + args.warmup, args.peer_cpu))
        child.start()

        def trip(sequence: int) -> bytes:
            pack(message, 0, sequence)
            there.put(bytes(message))
            reply: bytes = back.get(timeout=60)
            return reply

        ping(trip, count, args.warmup)
    else:
        raise SystemExit(f"roles.py: mp-queue runs as writer or ping, which fork their peer; not as {args.side}")
    child.join(120)
    if child.exitcode != 0:
        raise SystemExit(f"roles.py: the forked {'reader' if args.side == 'writer' else 'pong'} exited with {child.exitcode}")


ROLES = {"python": shmkit_role, "iceoryx2-python": iceoryx2_role, "mp-queue": mp_queue_role}


def main() -> None:
    parser = argparse.ArgumentParser(prog="roles.py", description="shm-bench's Python transports (one side of a measurement)")
    parser.add_argument("role", choices=["role"])
    parser.add_argument("transport", choices=sorted(ROLES))
    parser.add_argument("side", choices=["writer", "reader", "ping", "pong"])
    parser.add_argument("size", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--prefix", default="shmd")
    parser.add_argument("--channel", default="")
    parser.add_argument("--reply-channel", default="")
    parser.add_argument("--cpu", type=int, default=-1)
    parser.add_argument("--peer-cpu", type=int, default=-1)
    parser.add_argument("--warmup", type=int, default=0)
    args = parser.parse_args()
    args.size = max(args.size, 16)
    pin(args.cpu)
    ROLES[args.transport](args)


if __name__ == "__main__":
    main()
