"""Parse and encode of a FIX.4.4 NewOrderSingle: our codec against simplefix, side by side in one run.

    python bench/fix_codec.py [--rounds 7] [--batch 1000]

The machine is shared and noisy, so the two libraries alternate batch by batch within each round; per-message
times are batch times divided by the batch size (so timer overhead does not count). "Encode" builds the message
from its fields and produces the wire bytes; "parse" takes the bytes and returns a message with every field (ours
also verifies BodyLength and CheckSum, simplefix does not).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import simplefix  # noqa: E402

from fix_sessions.codec import encode, parse  # noqa: E402

FIELDS = [
    (35, b"D"), (34, b"1289"), (49, b"PROPDESK7"), (52, b"20261125-10:15:02.123"), (56, b"DYNAMICTECH"),
    (1, b"ACC-48213"), (11, b"ORD-20261125-000481"), (15, b"EUR"), (38, b"250000"), (40, b"2"),
    (44, b"1.08345"), (54, b"1"), (55, b"EUR/USD"), (59, b"1"), (60, b"20261125-10:15:02.122"), (167, b"FXSPOT"),
    (207, b"XOFF"),
]
HEADER = {35, 34, 49, 52, 56}
WIRE = encode(b"FIX.4.4", FIELDS)


def ours_encode() -> bytes:
    return encode(b"FIX.4.4", FIELDS)


def ours_parse() -> object:
    return parse(WIRE)


def simplefix_encode() -> bytes:
    message = simplefix.FixMessage()
    message.append_pair(8, b"FIX.4.4", header=True)
    for tag, value in FIELDS:
        message.append_pair(tag, value, header=tag in HEADER)
    return message.encode()


def simplefix_parse() -> object:
    parser = simplefix.FixParser()
    parser.append_buffer(WIRE)
    return parser.get_message()


def batch_ns(operation: Callable[[], object], size: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(size):
        operation()
    return (time.perf_counter_ns() - start) / size


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--rounds", type=int, default=7)
    options.add_argument("--batch", type=int, default=1000)
    options.add_argument("--batches", type=int, default=30, help="batches per operation per round")
    args = options.parse_args()
    print(f"# python bench/fix_codec.py --rounds {args.rounds} --batch {args.batch} --batches {args.batches}")
    print(f"# NewOrderSingle, {len(WIRE)} bytes, {len(FIELDS) + 3} fields; Python {sys.version.split()[0]}")
    assert simplefix_encode() == ours_encode()
    pairs = {"parse": (ours_parse, simplefix_parse), "encode": (ours_encode, simplefix_encode)}
    samples: dict[tuple[str, str], list[float]] = {(op, lib): [] for op in pairs for lib in ("ours", "simplefix")}
    rounds: list[dict[str, float]] = []
    for number in range(1, args.rounds + 1):
        medians: dict[str, float] = {}
        for op, (ours, theirs) in pairs.items():
            mine, other = [], []
            for _ in range(args.batches):
                mine.append(batch_ns(ours, args.batch))
                other.append(batch_ns(theirs, args.batch))
            samples[(op, "ours")] += mine
            samples[(op, "simplefix")] += other
            medians[op] = statistics.median(other) / statistics.median(mine)
        rounds.append(medians)
        print(f"round {number}: parse {medians['parse']:.1f}x  encode {medians['encode']:.1f}x")
    print(f"{'operation':<8} {'library':<10} {'median µs':>10} {'p99 µs':>8} {'msgs/s':>11}")
    for (op, lib), values in samples.items():
        values.sort()
        median = statistics.median(values)
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"{op:<8} {lib:<10} {median / 1000:>10.2f} {p99 / 1000:>8.2f} {1e9 / median:>11,.0f}")
    for op in pairs:
        ratio = statistics.median(samples[(op, "simplefix")]) / statistics.median(samples[(op, "ours")])
        print(f"{op}: ours is {ratio:.1f}x simplefix's rate (median over all rounds)")
    both = ((statistics.median(samples[("parse", "simplefix")]) + statistics.median(samples[("encode", "simplefix")]))
            / (statistics.median(samples[("parse", "ours")]) + statistics.median(samples[("encode", "ours")])))
    print(f"parse+encode: ours is {both:.1f}x simplefix's rate")


if __name__ == "__main__":
    main()
