#!/usr/bin/env python3
"""Sends each argument, or else each line of standard input, as one message to a shmd channel.

    python3 examples/python/writer.py demo "hello from Python" "second message"
    printf 'one\ntwo\n' | python3 examples/python/writer.py demo --wait 5
"""

import argparse
import sys

import shmkit


def main() -> int:
    parser = argparse.ArgumentParser(description="Send messages to a shmd channel.")
    parser.add_argument("channel")
    parser.add_argument("messages", nargs="*", help="the messages (default: the lines of standard input)")
    parser.add_argument("--prefix", default="shmd")
    parser.add_argument("--wait", type=float, default=None, help="seconds to wait for shmd to create the channel")
    args = parser.parse_args()
    try:
        with shmkit.Writer(args.channel, prefix=args.prefix, wait=args.wait) as writer:
            if args.messages:
                writer.send_batch([m.encode() for m in args.messages])
            else:
                for line in sys.stdin.buffer:
                    writer.send(line.rstrip(b"\n"))
    except shmkit.ShmkitError as error:
        print(f"writer.py: {error}", file=sys.stderr)
        return int(error.status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
