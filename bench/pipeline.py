"""Orders through the whole hub on one core: OMS, journal, pipeline (validation, throttle, kill switch, risk gate,
spread markup, commission), router, to an in-memory venue that fills them, and back through the after-fill path.

    python bench/pipeline.py [--orders 20000] [--rounds 5]

Two figures: orders per second end to end (submit to fill booked, ledger and bus included), and the time an order
spends inside the hub before the venue has it (from the door's hand-off, `OMS.submit`, to the adapter's `place`).
Log events below warning are filtered out (writing every info event as JSON is a cost of its own).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog  # noqa: E402

from engine.domain.order import OrdType, Side  # noqa: E402
from engine.oms import NewOrder  # noqa: E402
from tests.stubs import D, hub  # noqa: E402


async def one_round(count: int) -> tuple[float, list[float]]:
    h = hub(markup_points="0.00003", commission_per_lot="7", throttle=10**9, deposit="1000000000")
    venue = h.venues["lp-1"]
    handed: dict[str, float] = {}
    inside: list[float] = []
    place = venue.place

    async def timed_place(order):  # type: ignore[no-untyped-def]
        inside.append(time.perf_counter() - handed[order.order_id])
        await place(order)

    venue.place = timed_place  # type: ignore[method-assign]
    sides = (Side.BUY, Side.SELL)
    start = time.perf_counter()
    for number in range(count):
        request = NewOrder(f"c{number}", "ACC-1", "EUR/USD", sides[number % 2], OrdType.MARKET, D("0.01"))
        handed[f"O{number + 1}"] = time.perf_counter()
        await h.oms.submit(request)
    elapsed = time.perf_counter() - start
    assert all(o.filled == o.quantity for o in h.oms.orders.values()), "every order should have filled"
    return count / elapsed, inside


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--orders", type=int, default=20000)
    options.add_argument("--rounds", type=int, default=5)
    args = options.parse_args()
    # State changes are logged at info; here they are filtered out, as the figures say.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        cache_logger_on_first_use=True)
    print(f"# python bench/pipeline.py --orders {args.orders} --rounds {args.rounds}")
    rates, latencies = [], []
    for number in range(1, args.rounds + 1):
        rate, inside = asyncio.run(one_round(args.orders))
        inside.sort()
        rates.append(rate)
        latencies += inside
        print(f"round {number}: {rate:,.0f} orders/s  inside the hub p50 {statistics.median(inside) * 1e6:.1f} µs "
              f"p99 {inside[int(len(inside) * 0.99)] * 1e6:.1f} µs")
    latencies.sort()
    print(f"median over rounds: {statistics.median(rates):,.0f} orders/s end to end; inside the hub p50 "
          f"{statistics.median(latencies) * 1e6:.1f} µs, p99 {latencies[int(len(latencies) * 0.99)] * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
