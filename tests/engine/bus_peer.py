"""A subscriber in a process of its own, for the bus backend tests.

    python bus_peer.py BUS_URL NAMESPACE PATTERN COUNT [GROUP]
stdout: "ready" once subscribed, then one JSON line ``[topic, event]`` per event received; exits after COUNT.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import orjson

from dynamictech.runtime import configure_logging
from engine.bus import Bus
from engine.bus_mqtt import MqttBus
from engine.bus_redis import RedisBus


async def main(url: str, namespace: str, pattern: str, count: int, group: str | None) -> None:
    configure_logging("warning")  # JSON on stderr; stdout is the test's channel
    bus: Bus = RedisBus(url, namespace=namespace) if url.startswith("redis") else MqttBus(url, namespace=namespace)
    received = 0
    done = asyncio.Event()

    def handler(topic: str, event: dict[str, Any]) -> None:
        nonlocal received
        sys.stdout.buffer.write(orjson.dumps([topic, event]) + b"\n")
        sys.stdout.flush()
        received += 1
        if received >= count:
            done.set()

    await bus.start()
    bus.subscribe(pattern, handler, group=group)
    await bus.flush()
    print("ready", flush=True)
    await done.wait()
    await bus.close()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(main(arguments[0], arguments[1], arguments[2], int(arguments[3]),
                     arguments[4] if len(arguments) > 4 else None))
