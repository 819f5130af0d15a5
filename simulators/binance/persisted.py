"""What the Binance simulator keeps across restarts in its state file (simulators/state.py): each book's price and
lastUpdateId, and the orderId, tradeId and execution id counters. Binance never gives an orderId or a tradeId of a
symbol twice, and a book's update ids only go up, so a client's depth book and its fill keys stay sound across a
restart of the simulator."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from simulators.binance.exchange import Exchange
from simulators.state import Ids


def restore(exchange: Exchange, saved: dict[str, Any]) -> None:
    """Put the books and counters where ``saved`` left them; symbols it does not name keep their defaults."""
    for symbol, (mid, update_id) in saved.get("books", {}).items():
        book = exchange.books.get(symbol)
        if book is not None:
            book.mid, book.update_id = Decimal(mid), int(update_id)
            book.bids, book.asks = book.target()
    ids = saved.get("next_ids", {})
    exchange.order_ids = Ids(int(ids.get("order", 1)))
    exchange.trade_ids = Ids(int(ids.get("trade", 1)))
    exchange.exec_ids = Ids(int(ids.get("exec", 1)))


def snapshot(exchange: Exchange) -> dict[str, Any]:
    return {"books": {symbol: [str(book.mid), book.update_id] for symbol, book in exchange.books.items()},
            "next_ids": {"order": exchange.order_ids.restart_at, "trade": exchange.trade_ids.restart_at,
                         "exec": exchange.exec_ids.restart_at}}


def reserve_through(exchange: Exchange, save: Callable[[], None]) -> None:
    """Each counter writes the file (``save``) before it hands out an id of a new block."""
    for ids in (exchange.order_ids, exchange.trade_ids, exchange.exec_ids):
        ids.on_reserve = save
