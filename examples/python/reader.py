#!/usr/bin/env python3
"""Prints each message of a shmd channel on its own line, until shmd closes the channel (or
after --count messages).

    python3 examples/python/reader.py demo --wait 5 --count 2
"""

import argparse
import sys

import shmkit


def main() -> int:
    parser = argparse.ArgumentParser(description="Print the messages of a shmd channel.")
    parser.add_argument("channel")
    parser.add_argument("--prefix", default="shmd")
    parser.add_argument("--wait", type=float, default=None, help="seconds to wait for shmd to create the channel")
    parser.add_argument("--count", type=int, default=None, help="stop after this many messages")
    args = parser.parse_args()
    try:
        with shmkit.Reader(args.channel, prefix=args.prefix, wait=args.wait) as reader:
            for received, message in enumerate(reader, start=1):  # ends when shmd closes the channel
                sys.stdout.buffer.write(message + b"\n")
                sys.stdout.flush()
                if received == args.count:
                    break
    except shmkit.ShmkitError as error:
        print(f"reader.py: {error}", file=sys.stderr)
        return int(error.status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
