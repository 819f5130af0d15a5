"""The event bus on Redis through ``redis.asyncio`` (redis>=5).

Layout under a namespace (``dt`` unless told otherwise):

- ``<ns>:last:<topic>``: the last event of a latest-value topic (SET), fanned out on the channel ``<ns>:live:<topic>``;
  a subscriber PSUBSCRIBEs the pattern turned into a glob and reads the matching keys once (SCAN) to start from the
  current values.
- ``<ns>:events:<first segment>``: one stream per first topic segment (XADD with MAXLEN ~), fields ``topic``,
  ``publisher``, ``seq`` and ``body``; a subscriber reads the streams its pattern can touch and filters with
  ``matches()``. With a ``group`` it reads through a consumer group named ``<group>:<pattern>`` (consumer ``<group>``),
  acknowledges after its handler ran, and on start or reconnect reads its pending entries first.
- ``<ns>:group:<group>:<pattern>``: set once a durable consumer exists, so that a restart never skips what was
  published while it was away.

On the wire delivery is at-least-once (a batch is resent when its reply was lost); every event carries its publisher's
id and sequence number, and a subscriber drops what it has already handled, so a handler sees each event once.
Order holds per stream, that is per first topic segment.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import orjson
import redis.asyncio as redis
import structlog
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.bus import Handler, is_latest_value, matches
from engine.bus_outbox import Backoff, Dedupe, Link, Message, Outbox, deliver

log = structlog.get_logger("engine.bus")

BROKEN = (RedisConnectionError, RedisTimeoutError, OSError)
BATCH = 500
DISCOVERY_SECONDS = 1.0



@dataclass(slots=True, eq=False)
class _LatestSub:
    pattern: str
    handler: Handler
    glob: str
    active: bool = True


@dataclass(slots=True, eq=False)
class _EventSub:
    pattern: str
    handler: Handler
    group: str | None
    positions: dict[bytes, bytes] = field(default_factory=dict)  # stream -> last id read, or b">" in a group
    first_registration: bool | None = None
    task: asyncio.Task[None] | None = None
    active: bool = True
    idle: bool = False  # waiting for entries or to retry: nothing read is left unacknowledged

    def stop(self) -> None:
        """A reader between a read and its XACK finishes that batch, so a group is not handed it again."""
        self.active = False
        if self.task is not None and self.idle:
            self.task.cancel()


def _glob(pattern: str) -> str:
    """An MQTT-style pattern as a Redis glob wide enough to cover it; ``matches()`` does the exact filtering."""
    parts: list[str] = []
    for part in pattern.split("."):
        if part == "#":
            return ".".join(parts) + "*"
        parts.append("*" if part == "*" else "".join("\\" + c if c in "*?[]\\" else c for c in part))
    return ".".join(parts)


class RedisBus:
    """Latest values as keys plus PUBLISH, events as streams with consumer groups; see the module docstring."""

    def __init__(self, url: str, *, namespace: str = "dt", stream_maxlen: int = 100_000,
                 close_timeout: float = 5.0) -> None:
        # redis-py's own retries would hide a lost connection; the tasks here reconnect, resubscribe and log.
        self._redis = redis.from_url(url, retry=Retry(NoBackoff(), 0))
        parts = urlsplit(url)
        self._link = Link("redis", f"{parts.hostname}:{parts.port or 6379}{parts.path}")
        self._ns = namespace
        self._maxlen = stream_maxlen
        self._close_timeout = close_timeout
        self._publisher = uuid.uuid4().hex[:12]
        self._control = f"{namespace}:bus:{self._publisher}"
        self._seq = 0
        self._outbox = Outbox(BATCH)
        self._last: dict[str, dict[str, Any]] = {}
        self._latest_subs: list[_LatestSub] = []
        self._event_subs: list[_EventSub] = []
        self._globs: dict[str, asyncio.Future[None]] = {}  # PSUBSCRIBEd globs, done once confirmed
        self._pubsub: PubSub | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # keys

    def _stream(self, topic: str) -> bytes:
        return f"{self._ns}:events:{topic.split('.', 1)[0]}".encode()

    def _key(self, topic: str) -> str:
        return f"{self._ns}:last:{topic}"

    def _channel(self, topic: str) -> str:
        return f"{self._ns}:live:{topic}"

    # the Bus protocol

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        body = orjson.dumps(event)
        if is_latest_value(topic):
            self._last[topic] = event
            self._outbox.put(Message(topic, body, 0))
        else:
            self._seq += 1
            self._outbox.put(Message(topic, body, self._seq))

    def subscribe(self, pattern: str, handler: Handler, *, group: str | None = None) -> Callable[[], None]:
        first = pattern.split(".", 1)[0]
        wildcard = first in ("*", "#")
        latest = _LatestSub(pattern, handler, _glob(pattern)) if wildcard or is_latest_value(first + ".") else None
        events = _EventSub(pattern, handler, group) if wildcard or not is_latest_value(first + ".") else None
        if latest is not None:
            self._latest_subs.append(latest)
            self._outbox.put(lambda: self._open_latest(latest))
        if events is not None:
            self._event_subs.append(events)
            self._outbox.put(lambda: self._open_events(events))

        def unsubscribe() -> None:
            if latest is not None and latest.active:
                latest.active = False
                self._latest_subs.remove(latest)
                self._outbox.put(lambda: self._drop_glob(latest.glob))
            if events is not None and events.active:
                events.stop()
                self._event_subs.remove(events)
        return unsubscribe

    def last(self, topic: str) -> dict[str, Any] | None:
        return self._last.get(topic)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._write(), name="bus.redis.writer"),
                       asyncio.create_task(self._listen(), name="bus.redis.listener")]

    async def connected(self) -> None:
        await self._link.ready.wait()

    async def flush(self) -> None:
        if not self._tasks:
            raise RuntimeError("the bus is not started")
        await self._outbox.drained()

    async def close(self) -> None:
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._close_timeout):
                    await self._outbox.drained()
        if len(self._outbox):
            log.warning("bus.closed_with_unsent", backend="redis", count=len(self._outbox))
        for task in self._tasks:
            task.cancel()
        for sub in self._event_subs:
            sub.stop()
        await asyncio.gather(*self._tasks, *(sub.task for sub in self._event_subs if sub.task is not None),
                             return_exceptions=True)
        self._tasks = []
        if self._pubsub is not None:
            with contextlib.suppress(*BROKEN):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        await self._redis.aclose()

    # writing

    async def _write(self) -> None:
        retry = Backoff(self._link)
        while True:
            work = await self._outbox.head()
            try:
                if isinstance(work, list):
                    await self._send(work)
                else:
                    await work()
            except BROKEN as error:
                await retry.pause(error)
                continue
            retry.ok()
            self._outbox.confirm(len(work) if isinstance(work, list) else 1)

    async def _send(self, batch: list[Message]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for message in batch:
            if message.superseded:
                continue
            if message.seq:
                fields = {"topic": message.topic, "publisher": self._publisher, "seq": message.seq,
                          "body": message.body}
                pipe.xadd(self._stream(message.topic), fields,  # type: ignore[arg-type]
                          maxlen=self._maxlen, approximate=True)
            else:
                pipe.set(self._key(message.topic), message.body)
                pipe.publish(self._channel(message.topic), message.body)
        await pipe.execute()

    # latest-value topics

    async def _open_latest(self, sub: _LatestSub) -> None:
        """Runs in the writer's line, so what this process publishes after subscribing is seen."""
        if not sub.active:
            return
        if sub.glob not in self._globs:
            self._globs[sub.glob] = asyncio.get_running_loop().create_future()
            if self._pubsub is not None:
                await self._pubsub.psubscribe(self._channel(sub.glob))
        await asyncio.shield(self._globs[sub.glob])
        await self._snapshot([sub])

    async def _drop_glob(self, glob: str) -> None:
        if glob in self._globs and all(sub.glob != glob for sub in self._latest_subs):
            del self._globs[glob]
            if self._pubsub is not None:
                await self._pubsub.punsubscribe(self._channel(glob))

    async def _snapshot(self, subs: list[_LatestSub]) -> None:
        """Hand each subscriber the current values its pattern covers."""
        prefix = len(self._key(""))
        for sub in subs:
            keys = sorted([key async for key in self._redis.scan_iter(match=self._key(sub.glob), count=1000)])
            values = await self._redis.mget(keys) if keys else []
            for key, value in zip(keys, values, strict=True):
                topic = key[prefix:].decode()
                if value is None or not sub.active or not matches(sub.pattern, topic):
                    continue
                event = orjson.loads(value)
                if not self._outbox.has_pending(topic):
                    self._last[topic] = event
                deliver(sub.handler, topic, event)

    async def _listen(self) -> None:
        """The PUBLISH fan-out. After a reconnect every subscriber gets the current values again: some may have
        changed while the link was down."""
        retry = Backoff(self._link)
        prefix = len(self._channel(""))
        connected_before = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._control)  # a channel of our own: the connection exists before any glob
                self._pubsub = pubsub  # from here on _open_latest PSUBSCRIBEs a new glob itself
                unconfirmed = set(self._globs)
                if unconfirmed:
                    await pubsub.psubscribe(*(self._channel(glob) for glob in unconfirmed))
                resnapshot, connected_before = connected_before and bool(unconfirmed), True
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    retry.ok()
                    if message is None:
                        continue
                    if message["type"] == "pmessage":
                        glob = message["pattern"][prefix:].decode()
                        topic = message["channel"][prefix:].decode()
                        event = orjson.loads(message["data"])
                        if not self._outbox.has_pending(topic):
                            self._last[topic] = event
                        for sub in list(self._latest_subs):
                            if sub.active and sub.glob == glob and matches(sub.pattern, topic):
                                deliver(sub.handler, topic, event)
                    elif message["type"] == "psubscribe":
                        glob = message["channel"][prefix:].decode()
                        if (waiter := self._globs.get(glob)) is not None and not waiter.done():
                            waiter.set_result(None)
                        unconfirmed.discard(glob)
                        if resnapshot and not unconfirmed:
                            resnapshot = False
                            await self._snapshot(list(self._latest_subs))
            except BROKEN as error:
                self._pubsub = None
                with contextlib.suppress(*BROKEN):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                await retry.pause(error)

    # event topics

    async def _streams(self, pattern: str) -> list[bytes]:
        first = pattern.split(".", 1)[0]
        if first not in ("*", "#"):
            return [self._stream(pattern)]
        return [key async for key in self._redis.scan_iter(match=f"{self._ns}:events:*", count=1000,
                                                            _type="stream")]

    def _group_name(self, sub: _EventSub) -> str:
        return f"{sub.group}:{sub.pattern}"

    async def _join(self, sub: _EventSub, stream: bytes, start: str) -> None:
        try:
            await self._redis.xgroup_create(stream, self._group_name(sub), id=start, mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        sub.positions[stream] = b">"

    async def _open_events(self, sub: _EventSub) -> None:
        """Runs in the writer's line: the start positions are fixed before anything published after it is sent."""
        if not sub.active:
            return
        streams = await self._streams(sub.pattern)
        if sub.group is None:
            for stream in streams:
                if stream not in sub.positions:
                    newest = await self._redis.xrevrange(stream, count=1)
                    sub.positions[stream] = cast(bytes, newest[0][0]) if newest else b"0-0"
        else:
            if sub.first_registration is None:
                marker = f"{self._ns}:group:{sub.group}:{sub.pattern}"
                sub.first_registration = bool(await self._redis.set(marker, b"1", nx=True))
            for stream in streams:
                await self._join(sub, stream, "$" if sub.first_registration else "0")
        sub.task = asyncio.create_task(self._read(sub), name=f"bus.redis.reader:{sub.pattern}")

    async def _read(self, sub: _EventSub) -> None:
        retry = Backoff(self._link)
        dedupe = Dedupe()
        wildcard = sub.pattern.split(".", 1)[0] in ("*", "#")
        discovered = time.monotonic()
        backlog = True  # a group first reads what it was given and did not acknowledge
        while sub.active:
            try:
                if wildcard and time.monotonic() - discovered > DISCOVERY_SECONDS:
                    discovered = time.monotonic()
                    for stream in await self._streams(sub.pattern):
                        if stream not in sub.positions:
                            if sub.group is None:
                                sub.positions[stream] = b"0-0"  # created after we subscribed: all of it is new
                            else:
                                await self._join(sub, stream, "0")
                if not sub.positions:
                    await self._idle(sub, asyncio.sleep(DISCOVERY_SECONDS))
                    continue
                if sub.group is None:
                    reply = await self._idle(sub, self._redis.xread(sub.positions,  # type: ignore[arg-type]
                                                                    count=BATCH, block=1000))
                    retry.ok()
                    for stream, entries in reply or []:
                        for entry_id, fields in entries:
                            sub.positions[stream] = entry_id
                            self._handle(sub, stream, fields, dedupe)
                    continue
                wanted: dict[Any, Any] = dict.fromkeys(sub.positions, "0" if backlog else ">")
                try:
                    reply = await self._idle(sub, self._redis.xreadgroup(
                        self._group_name(sub), sub.group, wanted, count=BATCH, block=None if backlog else 1000))
                except ResponseError as error:
                    if "NOGROUP" not in str(error):
                        raise
                    log.warning("bus.group_lost", backend="redis", group=sub.group, pattern=sub.pattern)
                    for stream in sub.positions:
                        await self._join(sub, stream, "0")
                    continue
                retry.ok()
                backlog = backlog and any(entries for _, entries in reply or [])
                for stream, entries in reply or []:
                    handled = []
                    for entry_id, fields in entries:
                        if _stopped(sub):   # unsubscribed by a handler of this batch
                            break
                        if fields:  # an entry trimmed away while pending comes back empty
                            self._handle(sub, stream, fields, dedupe)
                        handled.append(entry_id)
                    if handled:
                        await self._redis.xack(stream, self._group_name(sub), *handled)
            except BROKEN as error:
                backlog = True
                await self._idle(sub, retry.pause(error))

    @staticmethod
    async def _idle(sub: _EventSub, wait: Awaitable[Any]) -> Any:
        sub.idle = True
        try:
            return await wait
        finally:
            sub.idle = False

    def _handle(self, sub: _EventSub, stream: bytes, fields: dict[bytes, bytes], dedupe: Dedupe) -> None:
        topic = fields[b"topic"].decode()
        if sub.active and matches(sub.pattern, topic) and dedupe.fresh((stream, fields[b"publisher"]),
                                                                       int(fields[b"seq"])):
            deliver(sub.handler, topic, orjson.loads(fields[b"body"]))


def _stopped(sub: _EventSub) -> bool:
    return not sub.active
