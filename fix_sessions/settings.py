"""QuickFIX-style session settings (.cfg with [DEFAULT] and [SESSION] sections), so a QuickFIX user's file works.

Every key QuickFIX or QuickFIX/J documents is accepted (``settings_keys``): those we implement take effect in
``SessionConfig``, the others are named together in one warning per load. A key nobody documents, or a value that
does not parse, is an error naming the file and line. Relative paths are left as written: like QuickFIX, they are
read from the process's working directory.

DynamicTech's own keys: ``SQLStoreURL`` (a SQLAlchemy URL for the SQL message store) and ``Username`` /
``Password`` (Logon tags 553/554); for these three, ``env:NAME`` reads the environment variable NAME, so secrets
stay out of files. Five more bound what one peer can make us hold (QuickFIX has no such keys):

- ``MaxMessageSize``: bytes of one inbound message's body (1048576); a larger one, or a partial one past it, ends
  the connection (a logged-on peer first gets a Logout naming the limit).
- ``MaxQueuedMessages`` and ``MaxQueuedBytes``: messages held out of order while a gap is resent (4096, and
  16777216 bytes of their fields); later ones are asked for again by the next ResendRequest.
- ``MaxPendingLogons`` and ``MaxPendingLogonsPerHost``: an acceptor's connections not logged on yet, in all (256)
  and from one address (16); one beyond is closed at once. They bound the whole acceptor, which takes the
  largest value its sessions give.
"""
from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import structlog

from fix_sessions.schedule import LOCAL_TIME
from fix_sessions.session_id import SessionID
from fix_sessions.settings_keys import lookup, suggestion

log = structlog.get_logger("fix.settings")


_TLS_KEYS = ("ServerCertificateFile", "ServerCertificateKeyFile", "ClientCertificateFile", "ClientCertificateKeyFile",
             "CertificationAuthoritiesFile", "CertificationAuthoritiesDirectory", "CertificateVerifyLevel",
             "SSLCipherSuite", "NeedClientAuth")
_FAILOVER = ("SocketConnectHost", "SocketConnectPort")


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file, the line and the key."""


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """TLS from QuickFIX's keys, as far as they map onto Python's ssl module.

    certificate_file, key_file: ServerCertificateFile/ServerCertificateKeyFile for an acceptor,
    ClientCertificateFile/ClientCertificateKeyFile for an initiator (PEM; the key may sit in the certificate file).
    ca_file, ca_directory: CertificationAuthoritiesFile/Directory, else the system's trusted CAs.
    verify_mode: CertificateVerifyLevel 0/1/2 -> CERT_NONE/CERT_REQUIRED/CERT_OPTIONAL, NeedClientAuth=Y ->
    CERT_REQUIRED; None keeps the role's default (an acceptor asks no client certificate, an initiator verifies
    the server's certificate and host name). ciphers: SSLCipherSuite, an OpenSSL cipher list.
    TLS is on with SocketUseSSL=Y, or when any of these keys is set and SocketUseSSL is not N. Protocol versions
    are Python's defaults (TLS 1.2 and up): SSLProtocol, EnabledProtocols, TLSCipherSuites, CRLs and Java key
    stores are accepted but not implemented.
    """

    certificate_file: str | None = None
    key_file: str | None = None
    ca_file: str | None = None
    ca_directory: str | None = None
    verify_mode: ssl.VerifyMode | None = None
    ciphers: str | None = None

    def context(self, server: bool) -> ssl.SSLContext:
        """A server context for an acceptor, a client context for an initiator."""
        purpose = ssl.Purpose.CLIENT_AUTH if server else ssl.Purpose.SERVER_AUTH
        context = ssl.create_default_context(purpose, cafile=self.ca_file, capath=self.ca_directory)
        if self.certificate_file:
            context.load_cert_chain(self.certificate_file, self.key_file)
        if self.verify_mode is not None:
            context.check_hostname = context.check_hostname and self.verify_mode != ssl.CERT_NONE
            context.verify_mode = self.verify_mode
        if self.ciphers:
            context.set_ciphers(self.ciphers)
        return context


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
    sql_store_url: str | None = field(default=None, repr=False)
    logon_timeout: int = 10
    logout_timeout: int = 2
    socket_reuse_address: bool = False
    socket_nodelay: bool = True
    timestamp_precision: int = 3
    max_message_size: int = 1 << 20     # bytes of one inbound message's body; a larger one closes the connection
    max_queued_messages: int = 4096     # messages held out of order while a gap is resent; beyond, dropped
    max_queued_bytes: int = 16 << 20    # and their field bytes in all
    max_pending_logons: int = 256       # an acceptor's connections not logged on yet; beyond, closed at once
    max_pending_logons_per_host: int = 16   # the same, from one peer address
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: TlsSettings | None = None
    raw: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False, hash=False)

    def ssl_context(self) -> ssl.SSLContext | None:
        """A server context for an acceptor, a client context for an initiator; None without TLS."""
        return None if self.tls is None else self.tls.context(server=self.connection_type == "acceptor")


@dataclass(frozen=True)
class Settings:
    """Everything a .cfg file says: its sessions, its [DEFAULT] keys, and the documented keys we ignore."""

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


@dataclass(frozen=True, slots=True)
class _Value:
    text: str
    value: Any
    where: str  # "at.cfg:12", for errors
    implemented: bool


@dataclass(frozen=True, slots=True)
class _Section:
    """One [SESSION] with [DEFAULT] merged in, and where its header line is, for errors."""

    values: dict[str, _Value]
    header: str

    def get(self, key: str, default: Any = None) -> Any:
        return self.values[key].value if key in self.values else default

    def has(self, key: str) -> bool:
        return key in self.values

    def fail(self, key: str, problem: str) -> SettingsError:
        return SettingsError(f"{self.values[key].where}: {key} {problem}")

    def fail_session(self, problem: str) -> SettingsError:
        return SettingsError(f"{self.header}: {problem}")


def load_settings(path: str | Path, overrides: Mapping[str, str] | None = None) -> Settings:
    """Read a .cfg file; see ``parse_settings``."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise SettingsError(f"{path}: cannot read settings: {error.strerror}") from None
    return parse_settings(text, source=str(path), overrides=overrides)


def parse_settings(text: str, source: str = "<string>", overrides: Mapping[str, str] | None = None) -> Settings:
    """Parse .cfg text; ``overrides`` replace keys in every session (a test harness picking its own port)."""
    defaults: dict[str, _Value] = {}
    sections: list[tuple[int, dict[str, _Value]]] = []
    current: dict[str, _Value] | None = None
    for number, line in enumerate((raw.strip() for raw in text.splitlines()), start=1):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip().upper()  # QuickFIX/J reads section names in any case
            if name not in ("DEFAULT", "SESSION"):
                raise SettingsError(f"{source}:{number}: unknown section {line} (use [DEFAULT] or [SESSION])")
            current = defaults if name == "DEFAULT" else {}
            if name == "SESSION":
                sections.append((number, current))
            continue
        key, equals, value = (part.strip() for part in line.partition("="))
        if not equals or not key:
            raise SettingsError(f"{source}:{number}: expected Key=Value, got {line!r}")
        if current is None:
            raise SettingsError(f"{source}:{number}: {key} comes before any [DEFAULT] or [SESSION] section")
        if key in current:
            raise SettingsError(f"{source}:{number}: {key} is already set at {current[key].where} in this section")
        current[key] = _read(key, value, f"{source}:{number}")
    extra = {key: _read(key, value, f"{source} (override)") for key, value in (overrides or {}).items()}
    written = [*defaults.items(), *(item for _, section in sections for item in section.items()), *extra.items()]
    unimplemented = frozenset(key for key, value in written if not value.implemented)
    configs: list[SessionConfig] = []
    for header, section in sections:
        config = _session(_Section({**defaults, **section, **extra}, f"{source}:{header}"))
        for earlier in configs:
            if earlier.session_id == config.session_id:
                raise SettingsError(f"{source}:{header}: session {config.session_id} is defined twice")
        configs.append(config)
    if unimplemented:  # once per file, and only for a file that loads
        log.warning("fix.settings.unimplemented_keys", keys=sorted(unimplemented), source=source)
    return Settings(tuple(configs), MappingProxyType({k: v.text for k, v in defaults.items()}), unimplemented)


def _read(key: str, text: str, where: str) -> _Value:
    entry = lookup(key)
    if entry is None:
        close = suggestion(key)
        hint = f" (did you mean '{close}'?)" if close else ""
        raise SettingsError(f"{where}: unknown key '{key}'{hint}")
    try:
        return _Value(text, entry.read(text), where, entry.implemented)
    except ValueError as error:
        raise SettingsError(f"{where}: {key} {error}, got {text!r}") from None


def _session(section: _Section) -> SessionConfig:
    get = section.get
    name = (f"{get('BeginString') or '?'}:{get('SenderCompID') or '?'}->{get('TargetCompID') or '?'}"
            + (f":{get('SessionQualifier')}" if get("SessionQualifier") else ""))
    connection_type = get("ConnectionType")
    required = ["BeginString", "SenderCompID", "TargetCompID", "ConnectionType"]
    required += {"acceptor": ["SocketAcceptPort"], "initiator": ["SocketConnectHost", "SocketConnectPort",
                                                                "HeartBtInt"]}.get(connection_type, [])
    missing = [key for key in required if not (section.has(key) and section.values[key].text)]
    if missing:
        raise section.fail_session(f"[SESSION] {name} is missing {', '.join(missing)}")
    if connection_type == "initiator" and get("HeartBtInt") == 0:
        raise section.fail("HeartBtInt", "must be greater than zero for an initiator")
    if section.has("SocketAcceptAddress") and section.has("SocketAcceptHost"):
        raise section.fail("SocketAcceptHost", "and SocketAcceptAddress say the same thing; keep one")
    start_time, end_time, start_day, end_day, zone = _schedule(section)
    return SessionConfig(
        session_id=SessionID(get("BeginString"), get("SenderCompID"), get("TargetCompID"),
                             get("SessionQualifier", "")),
        connection_type=connection_type,
        heartbeat_interval=get("HeartBtInt", 30),
        socket_accept_host=get("SocketAcceptAddress") or get("SocketAcceptHost"),
        socket_accept_port=get("SocketAcceptPort"),
        socket_connect_hosts=_connect_hosts(section),
        reconnect_interval=get("ReconnectInterval", 30),
        start_time=start_time, end_time=end_time, start_day=start_day, end_day=end_day, time_zone=zone,
        reset_on_logon=get("ResetOnLogon", False),
        reset_on_logout=get("ResetOnLogout", False),
        reset_on_disconnect=get("ResetOnDisconnect", False),
        refresh_on_logon=get("RefreshOnLogon", False),
        use_data_dictionary=get("UseDataDictionary", True),
        data_dictionary=get("DataDictionary"),
        transport_data_dictionary=get("TransportDataDictionary"),
        app_data_dictionary=get("AppDataDictionary"),
        validate_fields_have_values=get("ValidateFieldsHaveValues", True),
        validate_fields_out_of_order=get("ValidateFieldsOutOfOrder", True),
        validate_user_defined_fields=get("ValidateUserDefinedFields", True),
        allow_unknown_msg_fields=get("AllowUnknownMsgFields", False),
        check_latency=get("CheckLatency", True),
        max_latency=get("MaxLatency", 120),
        check_comp_id=get("CheckCompID", True),
        send_redundant_resend_requests=get("SendRedundantResendRequests", False),
        persist_messages=get("PersistMessages", True),
        file_store_path=get("FileStorePath") or None,
        file_store_sync=get("FileStoreSync", False),
        sql_store_url=get("SQLStoreURL") or None,
        logon_timeout=get("LogonTimeout", 10),
        logout_timeout=get("LogoutTimeout", 2),
        socket_reuse_address=get("SocketReuseAddress", False),
        socket_nodelay=get("SocketNodelay", True) and get("SocketTcpNoDelay", True),
        timestamp_precision=_precision(section),
        max_message_size=get("MaxMessageSize", SessionConfig.max_message_size),
        max_queued_messages=get("MaxQueuedMessages", SessionConfig.max_queued_messages),
        max_queued_bytes=get("MaxQueuedBytes", SessionConfig.max_queued_bytes),
        max_pending_logons=get("MaxPendingLogons", SessionConfig.max_pending_logons),
        max_pending_logons_per_host=get("MaxPendingLogonsPerHost", SessionConfig.max_pending_logons_per_host),
        username=get("Username") or None,
        password=get("Password") or None,
        tls=_tls(section, connection_type),
        raw=MappingProxyType({key: value.text for key, value in section.values.items()}),
    )


def _schedule(section: _Section) -> tuple[dt.time | None, dt.time | None, int | None, int | None, str]:
    """StartTime, EndTime, StartDay, EndDay and the zone they are in; no times for a session that never stops."""
    get = section.get
    start, end = get("StartTime"), get("EndTime")
    start_day, end_day = get("StartDay"), get("EndDay")
    if get("NonStopSession", False):
        midnight = (dt.time(0), None)  # QuickFIX lets a non-stop session keep 00:00:00 times
        if start_day is not None or end_day is not None or {start, end} - {None, midnight}:
            raise section.fail("NonStopSession", "cannot be Y together with StartTime/EndTime/StartDay/EndDay")
        return None, None, None, None, get("TimeZone", "UTC")
    if (start is None) != (end is None):
        raise section.fail_session("StartTime and EndTime go together")
    if (start_day is None) != (end_day is None):
        raise section.fail_session("StartDay and EndDay go together")
    if start_day is not None and start is None:
        raise section.fail_session("StartDay and EndDay need StartTime and EndTime")
    zone = get("TimeZone")
    written = {moment[1] for moment in (start, end) if moment is not None and moment[1] is not None}
    if len(written) > 1:
        raise section.fail("EndTime", "is in another time zone than StartTime; use one TimeZone")
    if written:
        if zone is not None and zone not in written:
            raise section.fail("TimeZone", "disagrees with the time zone written after StartTime/EndTime")
        zone = written.pop()
    if get("UseLocalTime", False):
        if zone is not None:
            raise section.fail("UseLocalTime", "cannot be Y together with a TimeZone")
        zone = LOCAL_TIME
    return start and start[0], end and end[0], start_day, end_day, zone or "UTC"


def _connect_hosts(section: _Section) -> tuple[tuple[str, int], ...]:
    """SocketConnectHost/Port, then the failover pairs SocketConnectHost1/Port1, 2, ... numbered without gaps."""
    hosts: list[tuple[str, int]] = []
    numbered = {key for key in section.values if key.startswith(_FAILOVER) and key not in _FAILOVER}
    n = 0
    while True:
        host_key, port_key = (f"{stem}{n or ''}" for stem in _FAILOVER)
        if section.has(host_key) and section.has(port_key):
            hosts.append((section.get(host_key), section.get(port_key)))
            numbered -= {host_key, port_key}
        elif section.has(host_key) or section.has(port_key):
            present, absent = (host_key, port_key) if section.has(host_key) else (port_key, host_key)
            raise section.fail(present, f"has no matching {absent}")
        elif n:
            break
        n += 1
    if numbered:
        raise section.fail(min(numbered), "is out of sequence (failover pairs are numbered 1, 2, 3, ... without gaps)")
    return tuple(hosts)


def _precision(section: _Section) -> int:
    """TimestampPrecision (QuickFIX) or TimeStampPrecision (QuickFIX/J) override MillisecondsInTimeStamp."""
    given = [key for key in ("TimestampPrecision", "TimeStampPrecision") if section.has(key)]
    if len(given) == 2 and section.get(given[0]) != section.get(given[1]):
        raise section.fail(given[1], f"disagrees with {given[0]}")
    if given:
        return int(section.get(given[0]))
    return 3 if section.get("MillisecondsInTimeStamp", True) else 0


def _tls(section: _Section, connection_type: str) -> TlsSettings | None:
    get = section.get
    if not get("SocketUseSSL", any(section.has(key) for key in _TLS_KEYS)):
        return None
    role = "Server" if connection_type == "acceptor" else "Client"
    if role == "Server" and not section.has("ServerCertificateFile"):
        raise section.fail_session("a TLS acceptor needs ServerCertificateFile")
    return TlsSettings(
        certificate_file=get(f"{role}CertificateFile"),
        key_file=get(f"{role}CertificateKeyFile"),
        ca_file=get("CertificationAuthoritiesFile"),
        ca_directory=get("CertificationAuthoritiesDirectory"),
        verify_mode=ssl.CERT_REQUIRED if get("NeedClientAuth", False) else get("CertificateVerifyLevel"),
        ciphers=get("SSLCipherSuite"),
    )
