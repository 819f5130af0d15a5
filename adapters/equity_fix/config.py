"""Settings of one FIX 4.2 connection to an equity broker; secrets come from the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_specs import path as spec_path

_ENV_PREFIX = "EQUITY_FIX_"


@dataclass(frozen=True)
class EquityFixConfig:
    """``markets`` picks the profiles (and so the stocks) this connection trades. ``first_retry`` is the first
    reconnect delay, doubling up to ``reconnect_interval`` seconds. ``file_store_path`` keeps sequence numbers
    and sent messages across restarts (memory only when unset). ``locate_broker``: the firm that located the stock
    for short sales where the market requires a locate (US), sent as LocateBroker(5700) with LocateReqd(114)=N;
    unset, such a short sale asks the broker itself to locate (LocateReqd=Y)."""

    host: str = "127.0.0.1"
    port: int = 9882
    sender_comp_id: str = "DYNAMICTECH"
    target_comp_id: str = "EQBROKER"
    name: str = "equity_fix"
    markets: tuple[str, ...] = ("US", "HK", "IN")
    account: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    heartbeat_interval: int = 30
    reconnect_interval: int = 30
    first_retry: float = 0.5
    connect_timeout: float = 10.0
    status_timeout: float = 5.0
    quote_stale_after: float = 120.0
    file_store_path: str | None = None
    locate_broker: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EquityFixConfig:
        """Every field from ``EQUITY_FIX_<FIELD>`` (``EQUITY_FIX_PASSWORD``, ``EQUITY_FIX_MARKETS=US,HK``);
        unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = env.get(_ENV_PREFIX + item.name.upper())
            if raw is None:
                continue
            if item.name == "markets":
                values[item.name] = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
            elif item.type in ("int",):
                values[item.name] = int(raw)
            elif item.type in ("float",):
                values[item.name] = float(raw)
            else:
                values[item.name] = raw
        return cls(**values)  # type: ignore[arg-type]

    def session_config(self) -> SessionConfig:
        """The initiator session, validated against our FIX 4.2 dictionary."""
        return SessionConfig(
            session_id=SessionID("FIX.4.2", self.sender_comp_id, self.target_comp_id),
            connection_type="initiator",
            socket_connect_hosts=((self.host, self.port),),
            heartbeat_interval=self.heartbeat_interval,
            reconnect_interval=self.reconnect_interval,
            data_dictionary=str(spec_path("FIX42.xml")),
            file_store_path=self.file_store_path,
            username=self.username,
            password=self.password,
        )
