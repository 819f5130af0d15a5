"""The Redis and MQTT buses against real brokers: the services at REDIS_URL and MQTT_URL, and private ones this file
starts and restarts. Each test has its own namespace and tenant id, and removes what it left on the shared brokers."""
from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiomqtt
import orjson
import pytest
import redis.asyncio as redis
from structlog.testing import capture_logs

from engine.bus import Bus
from engine.bus_mqtt import MqttBus, group_client_id
from engine.bus_redis import RedisBus
from tests.brokers import PrivateBroker

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
PEER = Path(__file__).with_name("bus_peer.py")


class Inbox:
    """A handler that keeps what it got, and lets a test wait for a count."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self._arrived = asyncio.Event()

    def __call__(self, topic: str, event: dict[str, Any]) -> None:
        self.items.append((topic, event))
        self._arrived.set()

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for _, event in self.items]

    async def wait_for(self, count: int, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while len(self.items) < count:
                self._arrived.clear()
                await self._arrived.wait()


class Broker:
    """One backend's broker for one test: makes started buses and cleans up after them."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind, self.url = kind, url
        self.namespace = f"t{uuid.uuid4().hex[:12]}"
        self.groups: list[str] = []
        self.buses: list[Bus] = []

    async def bus(self) -> Bus:
        bus: Bus = (RedisBus(self.url, namespace=self.namespace) if self.kind == "redis"
                    else MqttBus(self.url, namespace=self.namespace))
        await bus.start()
        self.buses.append(bus)
        return bus

    def group(self) -> str:
        self.groups.append(f"g{uuid.uuid4().hex[:8]}")
        return self.groups[-1]

    async def clean(self) -> None:
        for bus in self.buses:
            await bus.close()
        if self.kind == "redis":
            client = redis.from_url(self.url)
            keys = [key async for key in client.scan_iter(match=f"{self.namespace}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
            return
        host, port = self.url.removeprefix("mqtt://").split(":")
        for group in self.groups:  # a clean session ends the durable one
            async with aiomqtt.Client(host, int(port), identifier=group_client_id(self.namespace, group),
                                      clean_session=True):
                pass
        async with aiomqtt.Client(host, int(port)) as client:  # clear what the test left retained
            await client.subscribe(f"{self.namespace}/#")
            retained: list[str] = []
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    async for message in client.messages:
                        retained.append(message.topic.value)
            for topic in retained:
                await client.publish(topic, b"", qos=1, retain=True)


@pytest.fixture(params=["redis", "mqtt"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    shared = Broker(request.param, REDIS_URL if request.param == "redis" else MQTT_URL)
    yield shared
    await shared.clean()


def order_event(tenant: str, number: int) -> tuple[str, dict[str, Any]]:
    return f"orders.{tenant}.ACC-{number % 3}", {"order_id": f"O-{number}", "cl_ord_id": f"C-{number}",
                                                 "side": "1", "qty": "0.01", "price": "1.08345", "status": "0"}


def quote(bid: str) -> dict[str, Any]:
    return {"bid": bid, "ask": str(Decimal(bid) + Decimal("0.00010")), "ts": "2025-01-06T10:00:00Z"}


async def test_events_published_here_arrive_in_another_process_in_order(broker: Broker) -> None:
    tenant = uuid.uuid4().hex[:8]
    count = 200
    peer = await asyncio.create_subprocess_exec(
        sys.executable, str(PEER), broker.url, broker.namespace, f"orders.{tenant}.#", str(count),
        stdout=asyncio.subprocess.PIPE)
    assert peer.stdout is not None
    try:
        async with asyncio.timeout(10):
            assert (await peer.stdout.readline()).strip() == b"ready"
        bus = await broker.bus()
        sent = []
        for number in range(count):
            topic, event = order_event(tenant, number)
            bus.publish(topic, event)
            sent.append([topic, event])
            bus.publish(f"executions.{tenant}", {"exec_id": f"E-{number}"})  # not the peer's pattern
        await bus.flush()
        async with asyncio.timeout(10):
            received = [orjson.loads(await peer.stdout.readline()) for _ in range(count)]
            assert await peer.wait() == 0
    finally:
        if peer.returncode is None:
            peer.kill()
            await peer.wait()
    assert received == sent


async def test_durable_group_gets_what_it_missed_in_order_then_new_events(broker: Broker) -> None:
    tenant, group = uuid.uuid4().hex[:8], broker.group()
    topic = f"executions.{tenant}"
    publisher = await broker.bus()

    def publish(numbers: range) -> None:
        for number in numbers:
            publisher.publish(topic, {"exec_id": f"E-{number}", "last_qty": "0.01", "last_px": "1.08345"})

    before = Inbox()
    consumer = await broker.bus()
    consumer.subscribe(topic, before, group=group)
    await consumer.flush()
    publish(range(1, 6))
    await publisher.flush()
    await before.wait_for(5)
    await consumer.close()  # the consumer goes away...
    publish(range(6, 11))  # ...the fills go on...
    await publisher.flush()

    after = Inbox()
    restarted = await broker.bus()  # ...and it comes back under the same group
    restarted.subscribe(topic, after, group=group)
    await after.wait_for(5)
    publish(range(11, 13))
    await after.wait_for(7)
    await asyncio.sleep(0.3)  # time for anything extra to show up
    assert [event["exec_id"] for event in before.events] == [f"E-{n}" for n in range(1, 6)]
    assert [event["exec_id"] for event in after.events] == [f"E-{n}" for n in range(6, 13)]


async def test_late_subscriber_to_quotes_gets_the_last_value_first(broker: Broker) -> None:
    tenant = uuid.uuid4().hex[:8]
    eurusd, gbpusd = f"quotes.{tenant}.EURUSD", f"quotes.{tenant}.GBPUSD"
    pricer = await broker.bus()
    pricer.publish(eurusd, quote("1.08310"))
    pricer.publish(eurusd, quote("1.08320"))
    pricer.publish(gbpusd, quote("1.26500"))
    await pricer.flush()

    terminal, inbox = await broker.bus(), Inbox()
    terminal.subscribe(f"quotes.{tenant}.*", inbox)
    await terminal.flush()
    await inbox.wait_for(2)
    assert sorted(inbox.items) == [(eurusd, quote("1.08320")), (gbpusd, quote("1.26500"))]
    assert terminal.last(eurusd) == quote("1.08320")

    pricer.publish(eurusd, quote("1.08330"))
    await inbox.wait_for(3)
    assert inbox.items[-1] == (eurusd, quote("1.08330"))
    assert terminal.last(eurusd) == quote("1.08330")


async def test_wildcard_first_segment_sees_quotes_and_events_and_unsubscribe_stops_delivery(broker: Broker) -> None:
    """A risk view watching everything of one tenant: ``*.<tenant>.#`` covers latest-value and event topics alike."""
    tenant = uuid.uuid4().hex[:8]
    hub, risk = await broker.bus(), await broker.bus()
    everything, orders = Inbox(), Inbox()
    stop_everything = risk.subscribe(f"*.{tenant}.#", everything)
    risk.subscribe(f"orders.{tenant}.*", orders)
    await risk.flush()
    hub.publish(f"quotes.{tenant}.EURUSD", quote("1.08340"))
    hub.publish(f"orders.{tenant}.ACC-1", {"order_id": "O-1"})
    hub.publish(f"balances.{tenant}.ACC-1", {"balance": "1000.00"})
    hub.publish(f"orders.{uuid.uuid4().hex[:8]}.ACC-1", {"order_id": "another tenant's"})
    await hub.flush()
    await everything.wait_for(3)
    assert sorted(topic for topic, _ in everything.items) == [
        f"balances.{tenant}.ACC-1", f"orders.{tenant}.ACC-1", f"quotes.{tenant}.EURUSD"]

    stop_everything()
    await risk.flush()
    hub.publish(f"orders.{tenant}.ACC-1", {"order_id": "O-2"})
    await hub.flush()
    await orders.wait_for(2)
    await asyncio.sleep(0.2)
    assert len(everything.items) == 3
    assert orders.events == [{"order_id": "O-1"}, {"order_id": "O-2"}]


async def test_broker_restart_mid_stream_loses_no_event_and_keeps_order(private: PrivateBroker) -> None:
    """At-least-once on the wire (a batch whose acknowledgement was lost is sent again), deduplicated by the
    publisher id and sequence number every event carries: the handler sees each event exactly once, in order."""
    kind = private.kind
    tenant, count = uuid.uuid4().hex[:8], 300
    eurusd = f"quotes.{tenant}.EURUSD"
    orders, quotes = Inbox(), Inbox()
    with capture_logs() as logs:
        publisher, subscriber = Broker(kind, private.url), Broker(kind, private.url)
        subscriber.namespace = publisher.namespace
        subscriber.groups.append("restart")
        hub, terminal = await publisher.bus(), await subscriber.bus()
        terminal.subscribe(f"orders.{tenant}.#", orders, group="restart")
        terminal.subscribe(f"quotes.{tenant}.*", quotes)
        await terminal.flush()
        sent = []
        try:
            for number in range(count):
                topic, event = order_event(tenant, number)
                hub.publish(topic, event)
                sent.append(event)
                hub.publish(eurusd, quote(f"1.08{number:03d}"))
                if number == 100:
                    await private.stop()  # publish() goes on queueing while the broker is away
                if number == 200:
                    await private.start()
                await asyncio.sleep(0.002)
            async with asyncio.timeout(15):
                await hub.flush()
            await orders.wait_for(count, timeout=15)
            async with asyncio.timeout(5):
                while terminal.last(eurusd) != quote(f"1.08{count - 1:03d}"):
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # time for a duplicate to show up
        finally:
            await publisher.clean()
            await subscriber.clean()
    assert orders.events == sent
    assert quotes.items[-1] == (eurusd, quote(f"1.08{count - 1:03d}"))
    states = [entry["event"] for entry in logs if entry["event"].startswith("bus.")]
    assert "bus.disconnected" in states and "bus.reconnected" in states
