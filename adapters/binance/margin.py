"""Binance cross margin (developers.binance.com, Margin Trading): borrow and repay through
POST /sapi/v1/margin/borrow-repay, and the account's margin level from GET /sapi/v1/margin/account."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog

from adapters.binance.order_params import number
from adapters.binance.rest import RestClient

log = structlog.get_logger("adapters.binance")


@dataclass(frozen=True, slots=True)
class MarginAsset:
    asset: str
    free: Decimal
    locked: Decimal
    borrowed: Decimal
    interest: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class MarginLevel:
    """The cross margin account: its margin level (assets over liabilities) and totals in BTC, per asset below."""

    level: Decimal
    total_asset_btc: Decimal
    total_liability_btc: Decimal
    total_net_asset_btc: Decimal
    trade_enabled: bool
    assets: dict[str, MarginAsset]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> MarginLevel:
        return cls(Decimal(body["marginLevel"]), Decimal(body["totalAssetOfBtc"]),
                   Decimal(body["totalLiabilityOfBtc"]), Decimal(body["totalNetAssetOfBtc"]),
                   bool(body.get("tradeEnabled", True)),
                   {a["asset"]: MarginAsset(a["asset"], Decimal(a["free"]), Decimal(a["locked"]),
                                            Decimal(a["borrowed"]), Decimal(a["interest"]), Decimal(a["netAsset"]))
                    for a in body.get("userAssets", [])})


async def borrow_repay(rest: RestClient, venue: str, kind: str, asset: str, amount: Decimal) -> str:
    """BORROW or REPAY on the cross margin account; the transaction ID, or BinanceError (-3045 when Binance's pool
    cannot lend, -3006 above the maximum borrowable)."""
    answer = await rest.signed("POST", "/sapi/v1/margin/borrow-repay", [
        ("asset", asset), ("isIsolated", "FALSE"), ("amount", number(amount)), ("type", kind)], weight=1500)
    log.info("binance_margin_" + kind.lower(), venue=venue, asset=asset, amount=str(amount),
             tran_id=answer["tranId"])
    return str(answer["tranId"])


async def margin_level(rest: RestClient) -> MarginLevel:
    return MarginLevel.from_json(await rest.signed("GET", "/sapi/v1/margin/account", [], weight=10))
