"""QuickFIX-style session settings (.cfg with [DEFAULT] and [SESSION] sections), so a QuickFIX user's file works.

Keys QuickFIX or QuickFIX/J document are all accepted (``settings_keys``): those we implement take effect here,
the others are named together in one warning. A key nobody documents, or a value that does not parse, is an
error naming the file and line. DynamicTech adds three keys: ``SQLStoreURL`` (a SQLAlchemy URL for the SQL
message store) and ``Username``/``Password`` (Logon tags 553/554; ``env:NAME`` reads the environment variable NAME,
so secrets stay out of files).
"""
from __future__ import annotations

import datetime as dt
import difflib
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from fix_sessions.session_id import SessionID
from fix_sessions.settings_keys import ALL_KEYS, kind

log = structlog.get_logger("fix.settings")

_DAYS = {name: number for number, names in enumerate([
    ("monday", "mon", "mo"), ("tuesday", "tue", "tu"), ("wednesday", "wed", "we"), ("thursday", "thu", "th"),
    ("friday", "fri", "fr"), ("saturday", "sat", "sa"), ("sunday", "sun", "su"),
]) for name in names}


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file, the line and the key."""


@dataclass(frozen=True, slots=True)
class TlsSettings:
    certificate_file: str | None = None
    key_file: str | None = None
    ca_file: str | None = None
    verify_peer: bool = True
    protocol: str | None = None
    ciphers: str | None = None


@dataclass(frozen=True)
class SessionConfig:
    """One session's settings after [DEFAULT] is merged in; field names follow the QuickFIX keys."""

    session_id: SessionID
    connection_type: str
    heartbeat_interval: int = 30
    socket_accept_host: str | None = None
    socket_accept_port: int | None = None
    socket_connect_hosts: tuple[tuple[str, int], ...] = ()
    reconnect_interval: int = 30
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    start_day: int | None = None
    end_day: int | None = None
    time_zone: str = "UTC"
    reset_on_logon: bool = False
    reset_on_logout: bool = False
    reset_on_disconnect: bool = False
    refresh_on_logon: bool = False
    use_data_dictionary: bool = True
    data_dictionary: str | None = None
    transport_data_dictionary: str | None = None
    app_data_dictionary: str | None = None
    validate_fields_have_values: bool = True
    validate_fields_out_of_order: bool = True
    validate_user_defined_fields: bool = True
    allow_unknown_msg_fields: bool = False
    check_latency: bool = True
    max_latency: int = 120
    check_comp_id: bool = True
    send_redundant_resend_requests: bool = False
    persist_messages: bool = True
    file_store_path: str | None = None
    file_store_sync: bool = False
    file_log_path: str | None = None
    sql_store_url: str | None = None
    logon_timeout: int = 10
    logout_timeout: int = 2
    socket_reuse_address: bool = False
    socket_nodelay: bool = True
    timestamp_precision: int = 3
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: TlsSettings | None = None
    raw: Mapping[str, str] = field(default_factory=dict, repr=False)

    def ssl_context(self) -> ssl.SSLContext | None:
        """A server context for an acceptor, a client context for an initiator; None without TLS."""
        tls = self.tls
        if tls is None:
            return None
        server = self.connection_type == "acceptor"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH if server else ssl.Purpose.SERVER_AUTH,
                                             cafile=tls.ca_file)
        if tls.certificate_file:
            context.load_cert_chain(tls.certificate_file, tls.key_file)
        if server:
            context.verify_mode = ssl.CERT_REQUIRED if tls.verify_peer and tls.ca_file else ssl.CERT_NONE
        elif not tls.verify_peer:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if tls.ciphers:
            context.set_ciphers(tls.ciphers)
        return context


@dataclass(frozen=True)
class Settings:
    sessions: tuple[SessionConfig, ...]
    defaults: Mapping[str, str]
    unimplemented_keys: frozenset[str]

    def acceptors(self) -> tuple[SessionConfig, ...]:
        return tuple(s for s in self.sessions if s.connection_type == "acceptor")

    def initiators(self) -> tuple[SessionConfig, ...]:
        return tuple(s for s in self.sessions if s.connection_type == "initiator")

    def by_id(self, session_id: SessionID) -> SessionConfig:
        for config in self.sessions:
            if config.session_id == session_id:
                return config
        raise KeyError(session_id)


def load_settings(path: str | Path, overrides: Mapping[str, str] | None = None) -> Settings:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise SettingsError(f"{path}: cannot read settings: {error.strerror}") from None
    return parse_settings(text, source=str(path), overrides=overrides)


def parse_settings(text: str, source: str = "<string>", overrides: Mapping[str, str] | None = None) -> Settings:
    """Parse .cfg text; ``overrides`` replace keys in every session (for tests that pick ports)."""
    defaults: dict[str, tuple[str, int]] = {}
    sections: list[tuple[int, dict[str, tuple[str, int]]]] = []
    current: dict[str, tuple[str, int]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip().upper()
            if name == "DEFAULT":
                current = defaults
            elif name == "SESSION":
                current = {}
                sections.append((number, current))
            else:
                raise SettingsError(f"{source}:{number}: unknown section [{line[1:-1]}] (use [DEFAULT] or [SESSION])")
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key:
            raise SettingsError(f"{source}:{number}: expected Key=Value, got {raw.strip()!r}")
        if current is None:
            raise SettingsError(f"{source}:{number}: {key} appears before any [DEFAULT] or [SESSION] section")
        if kind(key) is None:
            close = difflib.get_close_matches(key, ALL_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SettingsError(f"{source}:{number}: unknown key '{key}'{hint}")
        current[key] = (value, number)
    unimplemented = frozenset(k for k in [*defaults, *(k for _, s in sections for k in s)] if kind(k) == "accepted")
    if unimplemented:
        log.warning("fix.settings.unimplemented_keys", keys=sorted(unimplemented), source=source)
    configs: list[SessionConfig] = []
    for header_line, section in sections:
        merged = {**defaults, **section}
        for key, value in (overrides or {}).items():
            merged[key] = (value, header_line)
        config = _session(merged, source, header_line)
        if any(c.session_id == config.session_id for c in configs):
            raise SettingsError(f"{source}:{header_line}: session {config.session_id} is defined twice")
        configs.append(config)
    return Settings(tuple(configs), {k: v for k, (v, _) in defaults.items()}, unimplemented)


def _session(values: dict[str, tuple[str, int]], source: str, header_line: int) -> SessionConfig:
    def where(key: str) -> str:
        return f"{source}:{values[key][1]}"

    def get(key: str, convert: Callable[[str], Any], default: Any = None) -> Any:
        if key not in values:
            return default
        text = values[key][0]
        try:
            return convert(text)
        except (ValueError, KeyError, ZoneInfoNotFoundError) as error:
            raise SettingsError(f"{where(key)}: {key} {error}, got {text!r}") from None

    def required(key: str) -> str:
        if key not in values or not values[key][0]:
            raise SettingsError(f"{source}:{header_line}: [SESSION] is missing {key}")
        return values[key][0]

    connection_type = get("ConnectionType", _connection_type) or required("ConnectionType")
    session_id = SessionID(required("BeginString"), required("SenderCompID"), required("TargetCompID"),
                           values.get("SessionQualifier", ("", 0))[0])
    if connection_type == "acceptor":
        required("SocketAcceptPort")
    else:
        required("SocketConnectHost")
        required("SocketConnectPort")
        required("HeartBtInt")
    hosts = []
    for suffix in ["", *sorted({k[len("SocketConnectHost"):] for k in values if k.startswith("SocketConnectHost")
                               and k != "SocketConnectHost"}, key=int)]:
        host_key, port_key = f"SocketConnectHost{suffix}", f"SocketConnectPort{suffix}"
        if host_key in values:
            if port_key not in values:
                raise SettingsError(f"{where(host_key)}: {host_key} has no {port_key}")
            hosts.append((values[host_key][0], get(port_key, _port)))
    precision = get("TimestampPrecision", _precision, 3)
    if get("MillisecondsInTimeStamp", _bool, True) is False:
        precision = 0
    tls_on = get("SocketUseSSL", _bool, False) or get("SSLEnable", _bool, False) or any(
        k in values for k in ("ServerCertificateFile", "ClientCertificateFile"))
    certificate = "ServerCertificate" if connection_type == "acceptor" else "ClientCertificate"
    tls = TlsSettings(
        certificate_file=get(f"{certificate}File", str), key_file=get(f"{certificate}KeyFile", str),
        ca_file=get("CertificationAuthoritiesFile", str), verify_peer=get("CertificateVerifyLevel", _int, 1) > 0,
        protocol=get("SSLProtocol", str), ciphers=get("SSLCipherSuite", str),
    ) if tls_on else None
    start_time, end_time = get("StartTime", _time), get("EndTime", _time)
    if (start_time is None) != (end_time is None):
        raise SettingsError(f"{source}:{header_line}: StartTime and EndTime go together")
    return SessionConfig(
        session_id=session_id,
        connection_type=connection_type,
        heartbeat_interval=get("HeartBtInt", _seconds, 30),
        socket_accept_host=get("SocketAcceptAddress", str) or get("SocketAcceptHost", str),
        socket_accept_port=get("SocketAcceptPort", _port),
        socket_connect_hosts=tuple(hosts),
        reconnect_interval=get("ReconnectInterval", _seconds, 30),
        start_time=start_time, end_time=end_time,
        start_day=get("StartDay", _day), end_day=get("EndDay", _day),
        time_zone=get("TimeZone", _zone, "UTC"),
        reset_on_logon=get("ResetOnLogon", _bool, False),
        reset_on_logout=get("ResetOnLogout", _bool, False),
        reset_on_disconnect=get("ResetOnDisconnect", _bool, False),
        refresh_on_logon=get("RefreshOnLogon", _bool, False),
        use_data_dictionary=get("UseDataDictionary", _bool, True),
        data_dictionary=get("DataDictionary", _existing_file),
        transport_data_dictionary=get("TransportDataDictionary", _existing_file),
        app_data_dictionary=get("AppDataDictionary", _existing_file),
        validate_fields_have_values=get("ValidateFieldsHaveValues", _bool, True),
        validate_fields_out_of_order=get("ValidateFieldsOutOfOrder", _bool, True),
        validate_user_defined_fields=get("ValidateUserDefinedFields", _bool, True),
        allow_unknown_msg_fields=get("AllowUnknownMsgFields", _bool, False),
        check_latency=get("CheckLatency", _bool, True),
        max_latency=get("MaxLatency", _seconds, 120),
        check_comp_id=get("CheckCompID", _bool, True),
        send_redundant_resend_requests=get("SendRedundantResendRequests", _bool, False),
        persist_messages=get("PersistMessages", _bool, True),
        file_store_path=get("FileStorePath", str),
        file_store_sync=get("FileStoreSync", _bool, False),
        file_log_path=get("FileLogPath", str),
        sql_store_url=get("SQLStoreURL", _secret),
        logon_timeout=get("LogonTimeout", _seconds, 10),
        logout_timeout=get("LogoutTimeout", _seconds, 2),
        socket_reuse_address=get("SocketReuseAddress", _bool, False),
        socket_nodelay=get("SocketNodelay", _bool, True) and get("SocketTcpNoDelay", _bool, True),
        timestamp_precision=precision,
        username=get("Username", _secret),
        password=get("Password", _secret),
        tls=tls,
        raw={k: v for k, (v, _) in values.items()},
    )


def _bool(text: str) -> bool:
    if text in ("Y", "y"):
        return True
    if text in ("N", "n"):
        return False
    raise ValueError("must be Y or N")


def _int(text: str) -> int:
    if not text.lstrip("-").isdigit():
        raise ValueError("must be a whole number")
    return int(text)


def _seconds(text: str) -> int:
    if not text.isdigit():
        raise ValueError("must be a whole number of seconds")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return int(text)


def _precision(text: str) -> int:
    if text not in {"0", "3", "6", "9"}:
        raise ValueError("must be 0, 3, 6 or 9")
    return int(text)


def _connection_type(text: str) -> str:
    if text not in ("acceptor", "initiator"):
        raise ValueError("must be acceptor or initiator")
    return text


def _time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a time of day HH:MM:SS") from None


def _day(text: str) -> int:
    day = _DAYS.get(text.strip().lower())
    if day is None:
        raise ValueError("must be a day of the week (Monday, Mon, Mo, ...)")
    return day


def _zone(text: str) -> str:
    ZoneInfo(text)
    return text


def _existing_file(text: str) -> str:
    if not Path(text).is_file():
        raise ValueError("names no file (relative paths are from the working directory)")
    return text


def _secret(text: str) -> str:
    if text.startswith("env:"):
        name = text[4:]
        if name not in os.environ:
            raise ValueError(f"refers to environment variable {name}, which is not set")
        return os.environ[name]
    return text
