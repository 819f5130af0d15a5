"""Settings of one PrimeXM connection: where, who, which dialect, and the trading defaults. Secrets come from
the environment (``from_env``) and never appear in a repr or a log."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig, TlsSettings
from fix_specs import path as spec_path

DIALECTS = {"primexm": "PRIMEXM44.xml", "fix44": "PRIMEXM-FIX44.xml"}


@dataclass(frozen=True)
class PrimeXMConfig:
    """``dialect`` "primexm" speaks PrimeXM's FIX 4.4 (fix_specs/PRIMEXM44.xml); "fix44" a plain FIX 4.4 LP
    (fix_specs/PRIMEXM-FIX44.xml: the standard, no custom tags on orders, StopPx for stops, but Issuer(106) in the
    snapshot's entries as XCore sends it). Market data is read either way: a snapshot with or without Issuer, then
    MassQuote or MarketDataIncrementalRefresh, whichever the LP streams."""

    name: str = "primexm"
    host: str = "127.0.0.1"
    quote_port: int = 9880
    trade_port: int = 9880
    quote_sender_comp_id: str = "DT_QUOTE"
    trade_sender_comp_id: str = "DT_TRADE"
    quote_target_comp_id: str = "PXM"
    trade_target_comp_id: str = "PXM"
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    quote_username: str | None = field(default=None, repr=False)  # when the quote session has its own login
    quote_password: str | None = field(default=None, repr=False)
    dialect: str = "primexm"
    tls: bool = False
    heartbeat_interval: int = 30
    market_depth: int = 16
    stream_name: str | None = None                # StreamName(7533), when the LP assigns one
    deviation: Decimal | None = None              # Deviation(10001): slippage accepted on market and stop orders
    venue_symbols: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    connect_timeout: float = 10.0
    request_timeout: float = 5.0                  # OrderStatusRequest answer
    first_retry: float = 0.5                      # reconnect backoff starts here ...
    reconnect_interval: int = 30                  # ... and doubles up to this many seconds
    latency_probe_interval: float = 10.0          # TestRequest round trips on the trade session
    quote_stale_after: float = 30.0

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, got {self.dialect!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, prefix: str = "PRIMEXM_") -> PrimeXMConfig:
        """PRIMEXM_HOST, PRIMEXM_QUOTE_PORT, PRIMEXM_TRADE_PORT, PRIMEXM_USERNAME, PRIMEXM_PASSWORD,
        PRIMEXM_QUOTE_USERNAME, PRIMEXM_QUOTE_PASSWORD, PRIMEXM_QUOTE_SENDER_COMP_ID, ..._TRADE_SENDER_COMP_ID,
        ..._QUOTE_TARGET_COMP_ID, ..._TRADE_TARGET_COMP_ID, PRIMEXM_DIALECT, PRIMEXM_TLS (Y/N),
        PRIMEXM_DEVIATION, PRIMEXM_STREAM_NAME, PRIMEXM_MARKET_DEPTH, PRIMEXM_NAME and PRIMEXM_SYMBOLS
        ("US30=US30.cash,GER40=DE40"); anything unset keeps its default."""
        def get(key: str) -> str | None:
            value = environ.get(prefix + key)
            return value if value else None

        values: dict[str, object] = {}
        for key in ("name", "host", "quote_sender_comp_id", "trade_sender_comp_id", "quote_target_comp_id",
                    "trade_target_comp_id", "username", "password", "quote_username", "quote_password", "dialect",
                    "stream_name"):
            if (value := get(key.upper())) is not None:
                values[key] = value
        for key in ("quote_port", "trade_port", "market_depth"):
            if (value := get(key.upper())) is not None:
                values[key] = int(value)
        if (value := get("DEVIATION")) is not None:
            values["deviation"] = Decimal(value)
        if (value := get("TLS")) is not None:
            values["tls"] = value == "Y"
        if (value := get("SYMBOLS")) is not None:
            pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
            values["venue_symbols"] = MappingProxyType({k.strip(): v.strip() for k, v in pairs})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def quote_session_id(self) -> SessionID:
        return SessionID("FIX.4.4", self.quote_sender_comp_id, self.quote_target_comp_id)

    @property
    def trade_session_id(self) -> SessionID:
        return SessionID("FIX.4.4", self.trade_sender_comp_id, self.trade_target_comp_id)

    def session_configs(self) -> tuple[SessionConfig, SessionConfig]:
        """The quote and trade initiators: Username/Password on Logon, ResetSeqNumFlag=Y on every logon, and a
        lenient reader (fields the LP adds are passed through, not rejected)."""
        dictionary = str(spec_path(DIALECTS[self.dialect]))

        def initiator(session_id: SessionID, port: int, username: str | None, password: str | None
                      ) -> SessionConfig:
            return SessionConfig(
                session_id=session_id, connection_type="initiator", heartbeat_interval=self.heartbeat_interval,
                socket_connect_hosts=((self.host, port),), reconnect_interval=self.reconnect_interval,
                reset_on_logon=True, data_dictionary=dictionary, allow_unknown_msg_fields=True,
                validate_user_defined_fields=False, persist_messages=False, username=username, password=password,
                tls=TlsSettings() if self.tls else None)

        return (initiator(self.quote_session_id, self.quote_port, self.quote_username or self.username,
                          self.quote_password or self.password),
                initiator(self.trade_session_id, self.trade_port, self.username, self.password))
