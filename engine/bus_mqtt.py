"""The event bus on MQTT 3.1.1 through ``aiomqtt`` (>=2, the successor of asyncio-mqtt).

Topics map dots to slashes under an optional namespace (``quotes.t1.EURUSD`` -> ``<ns>/quotes/t1/EURUSD``), ``*`` to
``+``, ``#`` stays. Latest-value topics are published at QoS 0 with retain, so a new subscriber gets the last value
from the broker. Events go at QoS 1 as ``{"publisher", "seq", "event"}``; the publisher resends what the broker has
not acknowledged after a reconnect, and a subscriber drops what it has already handled, so a handler sees each event
once. A subscriber with a ``group`` has its own connection with a persistent session (clean_session off, client id
from the group): the broker queues its events while it is away. Messages are acknowledged after the handler ran,
so one that was received and not handled comes again. Broker limits still apply: mosquitto drops QoS 1 messages past
``max_queued_messages`` (1000 by default, for connected subscribers that lag as well as for absent ones), so a bus
broker wants it at 0 (no limit) or sized for the longest absence; and it writes its persistence file on shutdown or
autosave only.
"""
from __future__ import annotations

import asyncio
import contextlib
import math
import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import orjson
import structlog

from engine.bus import Handler, is_latest_value, matches
from engine.bus_outbox import Dedupe, Link, Message, Outbox, deliver

log = structlog.get_logger("engine.bus")

BROKEN = (aiomqtt.MqttError, OSError)
BATCH = 100

Command = Callable[[aiomqtt.Client], Awaitable[None]]


def group_client_id(namespace: str, group: str) -> str:
    """The client id of a durable consumer: the broker keeps its session under this name."""
    return f"dt-{namespace}-{group}" if namespace else f"dt-{group}"


@dataclass(slots=True, eq=False)
class _Sub:
    pattern: str
    handler: Handler
    group: str | None
    active: bool = True


class _Connection:
    """One MQTT client: the bus's own (clean session, publishes) or a durable group's (persistent session)."""

    def __init__(self, group: str | None) -> None:
        self.group = group
        self.subs: list[_Sub] = []
        self.filters: set[str] = set()
        self.dedupe = Dedupe()  # outlives reconnects: the broker resends what was not acknowledged
        self.client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.leaving = False  # from then on messages are neither handled nor acknowledged: the broker keeps them


class MqttBus:
    """Retained QoS 0 latest values, QoS 1 events, persistent sessions for groups; see the module docstring."""

    def __init__(self, url: str, *, namespace: str = "", close_timeout: float = 5.0, keepalive: int = 15) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self._username = parts.username
        self._password = parts.password
        self._tls = ssl.create_default_context() if parts.scheme == "mqtts" else None
        self._link = Link("mqtt", f"{self._host}:{self._port}")
        self._namespace = namespace
        self._root = f"{namespace}/" if namespace else ""
        self._close_timeout = close_timeout
        self._keepalive = keepalive
        self._publisher = uuid.uuid4().hex[:12]
        self._seq = 0
        self._outbox = Outbox(BATCH)
        self._last: dict[str, dict[str, Any]] = {}
        self._main = _Connection(None)
        self._groups: dict[str, _Connection] = {}
        self._started = False

    # names on the wire

    def _wire(self, topic: str) -> str:
        return self._root + topic.replace(".", "/")

    def _filter(self, pattern: str) -> str:
        return self._root + "/".join("+" if part == "*" else part for part in pattern.split("."))

    # the Bus protocol

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        if is_latest_value(topic):
            self._last[topic] = event
            self._outbox.put(Message(topic, orjson.dumps(event), 0))
        else:
            self._seq += 1
            envelope = {"publisher": self._publisher, "seq": self._seq, "event": event}
            self._outbox.put(Message(topic, orjson.dumps(envelope), self._seq))

    def subscribe(self, pattern: str, handler: Handler, *, group: str | None = None) -> Callable[[], None]:
        sub = _Sub(pattern, handler, group)
        connection = self._main if group is None else self._group(group)
        connection.subs.append(sub)
        self._outbox.put(lambda client: self._open(sub, connection, client))

        def unsubscribe() -> None:
            if sub.active:
                sub.active = False
                connection.subs.remove(sub)
                self._outbox.put(lambda client: self._close_filter(connection, self._filter(sub.pattern), client))
        return unsubscribe

    def last(self, topic: str) -> dict[str, Any] | None:
        return self._last.get(topic)

    async def start(self) -> None:
        self._started = True
        for connection in [self._main, *self._groups.values()]:
            connection.task = asyncio.create_task(self._run(connection), name=f"bus.mqtt:{connection.group}")

    async def connected(self) -> None:
        await self._link.ready.wait()

    async def flush(self) -> None:
        if not self._started:
            raise RuntimeError("the bus is not started")
        await self._outbox.drained()

    async def close(self) -> None:
        if self._started:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._close_timeout):
                    await self._outbox.drained()
        if len(self._outbox):
            log.warning("bus.closed_with_unsent", backend="mqtt", count=len(self._outbox))
        for connection in [self._main, *self._groups.values()]:
            await self._leave(connection)
        self._started = False

    # connections

    def _group(self, name: str) -> _Connection:
        if name not in self._groups:
            connection = self._groups[name] = _Connection(name)
            if self._started:
                connection.task = asyncio.create_task(self._run(connection), name=f"bus.mqtt:{name}")
        return self._groups[name]

    def _client(self, connection: _Connection) -> aiomqtt.Client:
        durable = connection.group is not None
        client = aiomqtt.Client(
            self._host, self._port, username=self._username, password=self._password, tls_context=self._tls,
            identifier=group_client_id(self._namespace, connection.group) if connection.group is not None
            else f"dt-{self._publisher}",
            clean_session=not durable, keepalive=self._keepalive, max_inflight_messages=BATCH)
        client.pending_calls_threshold = BATCH
        # aiomqtt 2 acknowledges on receipt; paho's manual acknowledgement lets us ack after the handler ran.
        client._client.manual_ack_set(True)
        return client

    async def _leave(self, connection: _Connection) -> None:
        """Stop handling, make sure the broker has every acknowledgement, then DISCONNECT; a group's session stays.
        The broker handles a connection's packets in order, so the UNSUBACK of a filter nobody uses means our PUBACKs
        are in: without it mosquitto 2.0 was seen handing a returning group messages acknowledged just before it
        left."""
        if connection.task is None:
            return
        connection.leaving = True
        if connection.client is not None:
            with contextlib.suppress(*BROKEN):
                await connection.client.unsubscribe(f"{self._root}dt-bus-barrier", timeout=1)
        connection.task.cancel()
        await asyncio.gather(connection.task, return_exceptions=True)
        connection.task = None

    async def _run(self, connection: _Connection) -> None:
        """Connect, resubscribe, read (and for the bus's own connection, write) until the link breaks; again."""
        attempt = 0
        while True:
            client = self._client(connection)
            try:
                async with client:
                    for topic_filter in list(connection.filters):
                        await client.subscribe(topic_filter, qos=1)
                    attempt = 0
                    self._link.restored()
                    connection.client = client
                    connection.connected.set()
                    async with asyncio.TaskGroup() as tasks:
                        tasks.create_task(self._read(connection, client))
                        if connection is self._main:
                            tasks.create_task(self._write(client))
            except* BROKEN as failure:
                connection.connected.clear()
                connection.client = None
                self._link.lost(failure.exceptions[0])
                await asyncio.sleep(min(0.05 * 2 ** attempt, 2.0))
                attempt += 1

    async def _write(self, client: aiomqtt.Client) -> None:
        while True:
            work = await self._outbox.head()
            if not isinstance(work, list):
                await work(client)
                self._outbox.confirm(1)
                continue
            # Started in order, so paho queues them in order; a failure leaves the whole batch to be resent.
            async with asyncio.TaskGroup() as tasks:
                for message in work:
                    if not message.superseded:
                        tasks.create_task(client.publish(
                            self._wire(message.topic), message.body, qos=0 if not message.seq else 1,
                            retain=not message.seq, timeout=math.inf))
            self._outbox.confirm(len(work))

    async def _open(self, sub: _Sub, connection: _Connection, client: aiomqtt.Client) -> None:
        """Runs in the writer's line, so what this process publishes after subscribing is seen."""
        if not sub.active:
            return
        topic_filter = self._filter(sub.pattern)
        connection.filters.add(topic_filter)
        if connection is self._main:
            await client.subscribe(topic_filter, qos=1)
            return
        while True:
            await connection.connected.wait()
            if connection.client is not None:
                with contextlib.suppress(*BROKEN):
                    await connection.client.subscribe(topic_filter, qos=1)
                    return
            await asyncio.sleep(0.05)

    async def _close_filter(self, connection: _Connection, topic_filter: str, client: aiomqtt.Client) -> None:
        if any(self._filter(sub.pattern) == topic_filter for sub in connection.subs):
            return
        connection.filters.discard(topic_filter)
        if connection.group is not None and not connection.subs:
            del self._groups[connection.group]
            await self._leave(connection)  # its events queue on the broker until the group comes back
            return
        target = client if connection is self._main else connection.client
        if target is not None:
            await target.unsubscribe(topic_filter)

    async def _read(self, connection: _Connection, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            if connection.leaving:
                continue
            self._dispatch(connection, message)
            client._client.ack(message.mid, message.qos)

    def _dispatch(self, connection: _Connection, message: aiomqtt.Message) -> None:
        wire = message.topic.value
        if not wire.startswith(self._root) or not isinstance(message.payload, bytes | bytearray) \
                or not message.payload:  # an empty retained payload is a deletion
            return
        topic = wire[len(self._root):].replace("/", ".")
        try:
            if is_latest_value(topic):
                event = orjson.loads(message.payload)
                if not self._outbox.has_pending(topic):
                    self._last[topic] = event
            else:
                envelope = orjson.loads(message.payload)
                if not connection.dedupe.fresh(envelope["publisher"], envelope["seq"]):
                    return
                event = envelope["event"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            log.warning("bus.unreadable_message", backend="mqtt", topic=wire, error=repr(error))
            return
        for sub in list(connection.subs):
            if sub.active and matches(sub.pattern, topic):
                deliver(sub.handler, topic, event)
