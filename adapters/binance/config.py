"""The Binance adapter's settings; the API keys and the FIX private key come from the environment and are never
printed or logged."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

SIDE_EFFECTS = frozenset({"NO_SIDE_EFFECT", "MARGIN_BUY", "AUTO_REPAY", "AUTO_BORROW_REPAY"})


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
    order_transport: str = "rest"          # "rest", or "fix": orders over the FIX order entry session
    account_type: str = "spot"             # "spot", or "margin": orders on the cross margin account (REST only)
    side_effect: tuple[str, str] = ("MARGIN_BUY", "AUTO_REPAY")   # margin sideEffectType for (buys, sells)
    # FIX order entry (fix-api.md): an Ed25519 API key of its own, and SenderCompIDs unique per live session;
    # the second one takes over when Binance announces maintenance with News <B>.
    fix_api_key: str = field(default="", repr=False)
    fix_private_key_pem: str = field(default="", repr=False)
    fix_host: str = "fix-oe.binance.com"
    fix_port: int = 9000
    fix_tls: bool = True
    fix_sender_comp_ids: tuple[str, ...] = ("DTHUB1", "DTHUB2")
    fix_heartbeat_interval: int = 30       # Binance accepts 5..60
    fix_message_handling: int = 2          # MessageHandling(25035): 1 UNORDERED, 2 SEQUENTIAL
    fix_message_limit: int = 10000         # messages per fix_message_window seconds (order entry sessions)
    fix_message_window: float = 10.0

    def __post_init__(self) -> None:
        if self.order_transport not in ("rest", "fix"):
            raise ValueError(f"order_transport must be 'rest' or 'fix', not {self.order_transport!r}")
        if self.account_type not in ("spot", "margin"):
            raise ValueError(f"account_type must be 'spot' or 'margin', not {self.account_type!r}")
        if self.account_type == "margin" and self.order_transport != "rest":
            raise ValueError("account_type 'margin' needs order_transport 'rest': Binance's FIX API is spot only")
        if len(self.side_effect) != 2 or not set(self.side_effect) <= SIDE_EFFECTS:
            raise ValueError(f"side_effect must be two of {sorted(SIDE_EFFECTS)} (buys, sells)")
        if self.order_transport == "fix":
            if not self.fix_api_key or not self.fix_private_key_pem:
                raise ValueError("order_transport 'fix' needs fix_api_key and fix_private_key_pem (Ed25519)")
            if not self.fix_sender_comp_ids or not all(re.fullmatch(r"[a-zA-Z0-9_-]{1,8}", c)
                                                       for c in self.fix_sender_comp_ids):
                raise ValueError("fix_sender_comp_ids must match ^[a-zA-Z0-9-_]{1,8}$")
            if not 5 <= self.fix_heartbeat_interval <= 60:
                raise ValueError("fix_heartbeat_interval must be within [5, 60]")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BinanceConfig:
        """BINANCE_API_KEY and BINANCE_API_SECRET are required; BINANCE_REST_URL, BINANCE_STREAM_URL,
        BINANCE_WS_API_URL and BINANCE_RECV_WINDOW_MS override the production defaults. BINANCE_ORDER_TRANSPORT=fix
        takes BINANCE_FIX_API_KEY, BINANCE_FIX_PRIVATE_KEY (PEM) or BINANCE_FIX_PRIVATE_KEY_FILE, BINANCE_FIX_URL
        (tcp+tls://host:port) and BINANCE_FIX_SENDER_COMP_IDS (comma separated). BINANCE_ACCOUNT_TYPE=margin trades
        on the cross margin account, BINANCE_SIDE_EFFECT gives its sideEffectTypes for buys and sells ("X,Y")."""
        env = os.environ if environ is None else environ
        overrides: dict[str, object] = {}
        for key, name in (("BINANCE_REST_URL", "rest_url"), ("BINANCE_STREAM_URL", "stream_url"),
                          ("BINANCE_WS_API_URL", "ws_api_url"), ("BINANCE_VENUE_NAME", "name"),
                          ("BINANCE_ORDER_TRANSPORT", "order_transport"), ("BINANCE_ACCOUNT_TYPE", "account_type"),
                          ("BINANCE_FIX_API_KEY", "fix_api_key"), ("BINANCE_FIX_PRIVATE_KEY", "fix_private_key_pem")):
            if env.get(key):
                overrides[name] = env[key]
        if env.get("BINANCE_RECV_WINDOW_MS"):
            overrides["recv_window_ms"] = int(env["BINANCE_RECV_WINDOW_MS"])
        if env.get("BINANCE_FIX_PRIVATE_KEY_FILE") and not env.get("BINANCE_FIX_PRIVATE_KEY"):
            with open(env["BINANCE_FIX_PRIVATE_KEY_FILE"], encoding="ascii") as pem:
                overrides["fix_private_key_pem"] = pem.read()
        if env.get("BINANCE_FIX_URL"):
            scheme, _, address = env["BINANCE_FIX_URL"].partition("://")
            host, _, port = address.rpartition(":")
            overrides.update(fix_host=host, fix_port=int(port), fix_tls=scheme == "tcp+tls")
        if env.get("BINANCE_SIDE_EFFECT"):
            overrides["side_effect"] = tuple(env["BINANCE_SIDE_EFFECT"].split(","))
        if env.get("BINANCE_FIX_SENDER_COMP_IDS"):
            overrides["fix_sender_comp_ids"] = tuple(env["BINANCE_FIX_SENDER_COMP_IDS"].split(","))
        try:
            return cls(api_key=env["BINANCE_API_KEY"], api_secret=env["BINANCE_API_SECRET"], **overrides)  # type: ignore[arg-type]
        except KeyError as missing:
            raise ValueError(f"environment variable {missing.args[0]} is not set") from None
