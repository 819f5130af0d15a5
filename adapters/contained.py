"""Failures kept to the one message or subscriber they happened on.

fix_sessions' initiator ends a session for good when one of its application callbacks raises (the connection
closes and the reconnect loop stops), and a WebSocket reader task that raises is gone: one report an adapter or a
subscriber cannot apply must instead be logged and passed over, so the next one is heard.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Concatenate, ParamSpec, TypeVar

import structlog

from fix_sessions.codec import Message
from fix_sessions.reject import BusinessReject, FieldReject

log = structlog.get_logger("adapters")

P = ParamSpec("P")
S = TypeVar("S")
T = TypeVar("T")
_SECRET_TAGS = frozenset({96, 554, 925})   # RawData (a signature), Password, NewPassword


def contained(callback: Callable[Concatenate[S, P], Coroutine[Any, Any, None]]
              ) -> Callable[Concatenate[S, P], Coroutine[Any, Any, None]]:
    """For an ``Application`` callback: what it raises is logged with the message it was handling, and the session
    goes on. FieldReject and BusinessReject pass: they are how a callback refuses a message on the wire."""
    @functools.wraps(callback)
    async def guarded(self: S, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await callback(self, *args, **kwargs)
        except (FieldReject, BusinessReject):
            raise
        except Exception:
            message = next((a for a in args if isinstance(a, Message)), None)
            log.exception("adapters.fix_callback_failed", callback=callback.__name__,
                          session=str(args[-1]) if args else None,
                          msg_type=message.msg_type.decode("latin-1") if message is not None else None,
                          message=render(message) if message is not None else None)
    return guarded


def deliver(subscribers: Iterable[Callable[[T], None]], item: T, *, venue: str, what: str) -> None:
    """Hand ``item`` to every subscriber; one that raises is logged and the others still get it."""
    for subscriber in subscribers:
        try:
            subscriber(item)
        except Exception:
            log.exception("adapters.subscriber_failed", venue=venue, what=what, item=repr(item))


def render(message: Message) -> str:
    """A message as a log line, tag=value pairs split by |, secrets masked."""
    return "|".join(f"{tag}={'***' if tag in _SECRET_TAGS else value.decode('latin-1')}"
                    for tag, value in message.fields)


def excerpt(data: str | bytes, limit: int = 500) -> str:
    """The start of a frame that could not be read, for its log line."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text if len(text) <= limit else text[:limit] + "..."
