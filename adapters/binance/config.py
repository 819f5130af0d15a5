"""The Binance adapter's settings; the API key pair comes from the environment and is never printed or logged."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BinanceConfig:
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    name: str = "binance"
    rest_url: str = "https://api.binance.com"
    stream_url: str = "wss://stream.binance.com:9443"
    ws_api_url: str = "wss://ws-api.binance.com:443/ws-api/v3"
    recv_window_ms: int = 5000
    request_timeout: float = 10.0
    depth_limit: int = 100                 # snapshot levels; up to 100 costs weight 5
    reconnect_delay: float = 1.0           # first wait before reconnecting; doubles up to max_reconnect_delay
    max_reconnect_delay: float = 30.0
    connect_timeout: float = 10.0          # how long connect() waits for the user data stream subscription
    max_backoff_wait: float = 5.0          # a request waits out a 429 back-off this long, else VenueDown
    weight_headroom: float = 0.9           # share of the minute's request weight we allow ourselves
    reconcile_delay: float = 0.2           # first wait between status queries of an order in unknown state
    unknown_order_attempts: int = 5        # -2013 answers in a row before a timed-out order counts as not placed
    quote_stale_after: float = 60.0
    search_symbols: tuple[str, ...] = ()   # where cancel/replace look for an order neither placed nor adopted here

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BinanceConfig:
        """BINANCE_API_KEY and BINANCE_API_SECRET are required; BINANCE_REST_URL, BINANCE_STREAM_URL,
        BINANCE_WS_API_URL and BINANCE_RECV_WINDOW_MS override the production defaults."""
        env = os.environ if environ is None else environ
        overrides: dict[str, str | int] = {}
        for key, name in (("BINANCE_REST_URL", "rest_url"), ("BINANCE_STREAM_URL", "stream_url"),
                          ("BINANCE_WS_API_URL", "ws_api_url"), ("BINANCE_VENUE_NAME", "name")):
            if env.get(key):
                overrides[name] = env[key]
        if env.get("BINANCE_RECV_WINDOW_MS"):
            overrides["recv_window_ms"] = int(env["BINANCE_RECV_WINDOW_MS"])
        try:
            return cls(api_key=env["BINANCE_API_KEY"], api_secret=env["BINANCE_API_SECRET"], **overrides)  # type: ignore[arg-type]
        except KeyError as missing:
            raise ValueError(f"environment variable {missing.args[0]} is not set") from None
