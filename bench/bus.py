"""The event bus per backend: publish throughput, and the time from publish() to the subscriber's handler.

    python bench/bus.py [--backends memory,redis,mqtt] [--events 20000] [--paced 2000] [--rate 1000]

REDIS_URL and MQTT_URL name the brokers (the local ones by default). Publisher and subscriber are two bus instances
in this one process, each with its own connections, under a namespace of their own that is removed afterwards.
- throughput: --events executions published back to back, until flush() says the broker has them all, and until
  the subscriber has handled them all; events per second;
- latency: --paced executions at --rate per second; publish() to handler, p50 and p99 (one clock, one process).
Log events below warning are filtered out.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as redis
import structlog

from engine.bus import Bus, InProcessBus
from engine.bus_mqtt import MqttBus
from engine.bus_redis import RedisBus

URLS = {"redis": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "mqtt": os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")}


async def pair(backend: str, namespace: str) -> tuple[Bus, Bus]:
    if backend == "memory":
        bus = InProcessBus()
        return bus, bus
    buses: list[Bus] = [RedisBus(URLS["redis"], namespace=namespace) if backend == "redis"
                        else MqttBus(URLS["mqtt"], namespace=namespace) for _ in range(2)]
    for bus in buses:
        await bus.start()
    return buses[0], buses[1]


async def one_backend(backend: str, events: int, paced: int, rate: float) -> None:
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    publisher, subscriber = await pair(backend, namespace)
    received = 0
    latencies: list[float] = []
    everything = asyncio.Event()

    def handler(topic: str, event: dict[str, Any]) -> None:
        nonlocal received
        received += 1
        if "sent" in event:
            latencies.append(time.perf_counter() - event["sent"])
        if received == events + paced:
            everything.set()

    subscriber.subscribe("executions.bench", handler)
    await subscriber.flush()
    start = time.perf_counter()
    for number in range(events):
        publisher.publish("executions.bench", {"exec_id": f"E-{number}", "last_qty": "0.01", "last_px": "1.08345"})
    await publisher.flush()
    flushed = time.perf_counter() - start
    while received < events:
        await asyncio.sleep(0.001)
    handled = time.perf_counter() - start
    for number in range(paced):
        publisher.publish("executions.bench", {"exec_id": f"P-{number}", "sent": time.perf_counter()})
        await asyncio.sleep(1 / rate)
    await asyncio.wait_for(everything.wait(), 60)
    latencies.sort()
    print(f"{backend:6}  publish to broker {events / flushed:>9,.0f} events/s   to handler {events / handled:>9,.0f} "
          f"events/s   latency at {rate:,.0f}/s p50 {statistics.median(latencies) * 1e6:>7.0f} µs "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1e6:>7.0f} µs")
    await publisher.close()
    if subscriber is not publisher:
        await subscriber.close()
    if backend == "redis":
        client = redis.from_url(URLS["redis"])
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--backends", default="memory,redis,mqtt")
    options.add_argument("--events", type=int, default=20000)
    options.add_argument("--paced", type=int, default=2000)
    options.add_argument("--rate", type=float, default=1000)
    args = options.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        cache_logger_on_first_use=True)
    print(f"# python bench/bus.py --backends {args.backends} --events {args.events} --paced {args.paced} "
          f"--rate {args.rate:g}")
    for backend in args.backends.split(","):
        asyncio.run(one_backend(backend, args.events, args.paced, args.rate))


if __name__ == "__main__":
    main()
