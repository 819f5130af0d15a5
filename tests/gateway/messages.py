"""What a client's QuickFIX sends, as (tag, value) lists: new_order(...), cancel(...), replace(...), ..."""
from __future__ import annotations

import time
from typing import Any

Fields = list[tuple[int, Any]]


def transact_time() -> str:
    return time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())


def new_order(cl_ord_id: str, side: str = "1", ord_type: str = "1", quantity: str = "1", price: str | None = None,
              account: str | None = None, symbol: str = "EUR/USD") -> Fields:
    fields: Fields = [(11, cl_ord_id), (55, symbol), (54, side), (60, transact_time()), (38, quantity),
                      (40, ord_type), (59, "1")]
    if price is not None:
        fields.append((44, price))
    if account is not None:
        fields.append((1, account))
    return fields


def cancel(cl_ord_id: str, orig_cl_ord_id: str, side: str = "1", quantity: str = "1") -> Fields:
    return [(41, orig_cl_ord_id), (11, cl_ord_id), (55, "EUR/USD"), (54, side), (60, transact_time()),
            (38, quantity)]


def replace(cl_ord_id: str, orig_cl_ord_id: str, quantity: str, price: str, side: str = "1") -> Fields:
    return [(41, orig_cl_ord_id), (11, cl_ord_id), (55, "EUR/USD"), (54, side), (60, transact_time()),
            (38, quantity), (40, "2"), (44, price)]


def status(cl_ord_id: str, side: str = "1") -> Fields:
    return [(11, cl_ord_id), (55, "EUR/USD"), (54, side), (790, f"status-{cl_ord_id}")]


def market_data(md_req_id: str, kind: str, *symbols: str) -> tuple[Fields, list[Any]]:
    """A MarketDataRequest for the top of book, incremental updates: its fields and its two groups."""
    groups = [[267, 269, [[[269, "0"]], [[269, "1"]]]], [146, 55, [[[55, symbol]] for symbol in symbols]]]
    return [(262, md_req_id), (263, kind), (264, "1"), (265, "1")], groups
