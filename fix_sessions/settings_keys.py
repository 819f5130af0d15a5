"""Every session setting key QuickFIX documents, with QuickFIX/J's for users who come from Java, and ours.

One table: key -> where it is documented, how its value is read, whether it takes effect here. A key that is
accepted but not implemented still loads (so a QuickFIX user's file works) and is named in one warning; a key
that is not in the table is a misspelling. Sources: QuickFIX's doc/html/configuration.html and the constants in
src/C++/SessionSettings.h; QuickFIX/J's usermanual/usage/configuration.md; QuickFIX/Go and QuickFIX/n for
SocketAcceptHost.
"""
from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

QF, QFJ, BOTH = "QuickFIX", "QuickFIX/J", "QuickFIX, QuickFIX/J"
GO_N, OURS = "QuickFIX/Go, QuickFIX/n", "DynamicTech"

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(?:\s+(\S+))?")
_NAMED_PRECISION = {"SECONDS": 0, "MILLIS": 3, "MICROS": 6, "NANOS": 9}


@dataclass(frozen=True, slots=True)
class Key:
    origin: str
    read: Callable[[str], object]  # the value as used; ValueError with the reason when it does not parse
    implemented: bool


def text(value: str) -> str:
    return value


def host(value: str) -> str:
    if not value:
        raise ValueError("must name a host")
    return value


def yes_no(value: str) -> bool:
    """Y or N exactly, as both QuickFIX and QuickFIX/J read booleans."""
    if value == "Y":
        return True
    if value == "N":
        return False
    raise ValueError("must be Y or N")


def seconds(value: str) -> int:
    if not value.isdigit():
        raise ValueError("must be a whole number of seconds")
    return int(value)


def positive_seconds(value: str) -> int:
    if not value.isdigit() or int(value) == 0:
        raise ValueError("must be a whole number of seconds, at least 1")
    return int(value)


def positive_number(value: str) -> int:
    if not value.isdigit() or int(value) == 0:
        raise ValueError("must be a whole number, at least 1")
    return int(value)


def port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return int(value)


def listen_port(value: str) -> int:
    """0 asks the system for any free port."""
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return int(value)


def begin_string(value: str) -> str:
    if value not in ("FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"):
        raise ValueError("must be FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1")
    return value


def connection_type(value: str) -> str:
    if value not in ("acceptor", "initiator"):
        raise ValueError("must be acceptor or initiator")
    return value


def time_of_day(value: str) -> tuple[dt.time, str | None]:
    """HH:MM:SS, with QuickFIX/J's optional time zone after a space (``15:00:00 US/Central``)."""
    match = _TIME.fullmatch(value)
    if match is None:
        raise ValueError("must be a time of day HH:MM:SS")
    hour, minute, second, zone = match.groups()
    try:
        moment = dt.time(int(hour), int(minute), int(second))
    except ValueError:
        raise ValueError("must be a time of day HH:MM:SS") from None
    return moment, zone if zone is None else time_zone(zone)


def weekday(value: str) -> int:
    """0 = Monday; any English abbreviation of two letters or more (mo, mon, mond, monday), any case."""
    name = value.lower()
    for number, day in enumerate(_WEEKDAYS):
        if len(name) >= 2 and day.startswith(name):
            return number
    raise ValueError("must be a day of the week (Monday, Mon, Mo, ...)")


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be a time zone name such as Europe/London") from None
    return value


def digit_precision(value: str) -> int:
    if len(value) != 1 or not value.isdigit():
        raise ValueError("must be a whole number from 0 to 9")
    return int(value)


def named_precision(value: str) -> int:
    if value not in _NAMED_PRECISION:
        raise ValueError("must be SECONDS, MILLIS, MICROS or NANOS")
    return _NAMED_PRECISION[value]


def existing_file(value: str) -> str:
    if not Path(value).is_file():
        raise ValueError("names no file (relative paths are read from the working directory)")
    return value


def existing_directory(value: str) -> str:
    if not Path(value).is_dir():
        raise ValueError("names no directory (relative paths are read from the working directory)")
    return value


def secret(value: str) -> str:
    """``env:NAME`` is the environment variable NAME, so passwords and URLs with passwords stay out of files."""
    if not value.startswith("env:"):
        return value
    name = value[4:]
    if name not in os.environ:
        raise ValueError(f"refers to environment variable {name}, which is not set")
    return os.environ[name]


def cipher_list(value: str) -> str:
    try:
        ssl.create_default_context().set_ciphers(value)
    except ssl.SSLError:
        raise ValueError("must be an OpenSSL cipher list that names at least one cipher") from None
    return value


def verify_level(value: str) -> ssl.VerifyMode:
    """QuickFIX's CertificateVerifyLevel: 0 do not verify, 1 require and verify, 2 verify if offered."""
    modes = {"0": ssl.CERT_NONE, "1": ssl.CERT_REQUIRED, "2": ssl.CERT_OPTIONAL}
    if value not in modes:
        raise ValueError("must be 0, 1 or 2")
    return modes[value]


def _accepted(origin: str, read: Callable[[str], object], *names: str) -> dict[str, Key]:
    return {name: Key(origin, read, False) for name in names}


KEYS: Mapping[str, Key] = {
    # the session's identity and schedule
    "BeginString": Key(BOTH, begin_string, True),
    "SenderCompID": Key(BOTH, text, True),
    "TargetCompID": Key(BOTH, text, True),
    "SessionQualifier": Key(BOTH, text, True),
    "ConnectionType": Key(BOTH, connection_type, True),
    "StartTime": Key(BOTH, time_of_day, True),
    "EndTime": Key(BOTH, time_of_day, True),
    "StartDay": Key(BOTH, weekday, True),
    "EndDay": Key(BOTH, weekday, True),
    "NonStopSession": Key(BOTH, yes_no, True),
    "TimeZone": Key(QFJ, time_zone, True),
    "UseLocalTime": Key(QF, yes_no, True),
    **_accepted(QFJ, text, "SenderSubID", "SenderLocationID", "TargetSubID", "TargetLocationID", "Weekdays"),
    **_accepted(BOTH, text, "DefaultApplVerID"),
    **_accepted(QF, time_of_day, "LogonTime", "LogoutTime"),
    **_accepted(QF, weekday, "LogonDay", "LogoutDay"),
    # session behaviour
    "HeartBtInt": Key(BOTH, seconds, True),
    "LogonTimeout": Key(BOTH, positive_seconds, True),
    "LogoutTimeout": Key(BOTH, positive_seconds, True),
    "ResetOnLogon": Key(BOTH, yes_no, True),
    "ResetOnLogout": Key(BOTH, yes_no, True),
    "ResetOnDisconnect": Key(BOTH, yes_no, True),
    "RefreshOnLogon": Key(BOTH, yes_no, True),
    "SendRedundantResendRequests": Key(BOTH, yes_no, True),
    "MillisecondsInTimeStamp": Key(QF, yes_no, True),
    "TimestampPrecision": Key(QF, digit_precision, True),
    "TimeStampPrecision": Key(QFJ, named_precision, True),
    **_accepted(QF, yes_no, "SendResetSeqNumFlag", "SendNextExpectedMsgSeqNum"),
    **_accepted(QFJ, yes_no, "ClosedResendInterval", "ResetOnError", "DisconnectOnError",
                "EnableLastMsgSeqNumProcessed", "EnableNextExpectedMsgSeqNum", "ContinueInitializationOnError",
                "DisableHeartBeatCheck", "ForceResendWhenCorruptedStore", "LogMessageWhenSessionNotFound",
                "AllowPosDup"),
    **_accepted(QFJ, text, "LogonTag", "LogonTag<n>", "ResendRequestChunkSize", "TestRequestDelayMultiplier",
                "HeartBeatTimeoutMultiplier"),
    # validation
    "UseDataDictionary": Key(BOTH, yes_no, True),
    "DataDictionary": Key(BOTH, existing_file, True),
    "TransportDataDictionary": Key(BOTH, existing_file, True),
    "AppDataDictionary": Key(BOTH, existing_file, True),
    "ValidateFieldsOutOfOrder": Key(BOTH, yes_no, True),
    "ValidateFieldsHaveValues": Key(BOTH, yes_no, True),
    "ValidateUserDefinedFields": Key(BOTH, yes_no, True),
    "AllowUnknownMsgFields": Key(BOTH, yes_no, True),
    "CheckCompID": Key(BOTH, yes_no, True),
    "CheckLatency": Key(BOTH, yes_no, True),
    "MaxLatency": Key(BOTH, positive_seconds, True),
    **_accepted(BOTH, existing_file, "AppDataDictionary.<BeginString>"),
    **_accepted(QF, yes_no, "ValidateLengthAndChecksum", "PreserveMessageFieldsOrder"),
    **_accepted(QFJ, yes_no, "ValidateUnorderedGroupFields", "FirstFieldInGroupIsDelimiter",
                "ValidateIncomingMessage", "ValidateSequenceNumbers", "ValidateChecksum", "AllowUnknownEnumValues",
                "RejectGarbledMessage", "RejectInvalidMessage", "RejectMessageOnUnhandledException",
                "RequiresOrigSendingTime"),
    # initiator
    "SocketConnectHost": Key(BOTH, host, True),
    "SocketConnectPort": Key(BOTH, port, True),
    "SocketConnectHost<n>": Key(BOTH, host, True),
    "SocketConnectPort<n>": Key(BOTH, port, True),
    "ReconnectInterval": Key(BOTH, positive_seconds, True),
    **_accepted(QF, text, "SocketConnectSourceHost", "SocketConnectSourcePort", "HostSelectionPolicy",
                "HostSelectionPolicyPriorityStartOverInterval"),
    **_accepted(QFJ, text, "SocketConnectTimeout", "SocketConnectProtocol", "SocketConnectProtocol<n>",
                "SocketLocalPort", "SocketLocalHost"),
    **_accepted(QFJ, yes_no, "DynamicSession"),
    # acceptor
    "SocketAcceptPort": Key(BOTH, listen_port, True),
    "SocketAcceptAddress": Key(QFJ, host, True),
    "SocketAcceptHost": Key(GO_N, host, True),
    **_accepted(BOTH, text, "AllowedRemoteAddresses"),
    **_accepted(QF, text, "HttpAcceptPort"),
    **_accepted(QFJ, text, "SocketAcceptProtocol"),
    **_accepted(QFJ, yes_no, "AcceptorTemplate"),
    # socket options
    "SocketReuseAddress": Key(BOTH, yes_no, True),
    "SocketNodelay": Key(QF, yes_no, True),
    "SocketTcpNoDelay": Key(QFJ, yes_no, True),
    **_accepted(BOTH, text, "SocketSendBufferSize", "SocketReceiveBufferSize"),
    **_accepted(QFJ, yes_no, "SocketKeepAlive", "SocketOobInline", "SocketSynchronousWrites"),
    **_accepted(QFJ, text, "SocketLinger", "SocketTrafficClass", "SocketSynchronousWriteTimeout",
                "MaxScheduledWriteRequests", "ProxyType", "ProxyVersion", "ProxyHost", "ProxyPort", "ProxyUser",
                "ProxyPassword", "ProxyDomain", "ProxyWorkstation"),
    # TLS: the subset that maps onto Python's ssl module (see settings.TlsSettings)
    "SocketUseSSL": Key(QFJ, yes_no, True),
    "NeedClientAuth": Key(QFJ, yes_no, True),
    "ServerCertificateFile": Key(QF, existing_file, True),
    "ServerCertificateKeyFile": Key(QF, existing_file, True),
    "ClientCertificateFile": Key(QF, existing_file, True),
    "ClientCertificateKeyFile": Key(QF, existing_file, True),
    "CertificationAuthoritiesFile": Key(QF, existing_file, True),
    "CertificationAuthoritiesDirectory": Key(QF, existing_directory, True),
    "CertificateVerifyLevel": Key(QF, verify_level, True),
    "SSLCipherSuite": Key(QF, cipher_list, True),
    **_accepted(QF, text, "SSLProtocol", "TLSCipherSuites", "CertificateRevocationListFile",
                "CertificateRevocationListDirectory"),
    **_accepted(QFJ, text, "SocketKeyStore", "SocketKeyStorePassword", "KeyManagerFactoryAlgorithm", "KeyStoreType",
                "SocketTrustStore", "SocketTrustStorePassword", "TrustManagerFactoryAlgorithm", "TrustStoreType",
                "EnabledProtocols", "CipherSuites", "EndpointIdentificationAlgorithm", "SNIHostName"),
    **_accepted(QFJ, yes_no, "UseSNI"),
    # storage
    "PersistMessages": Key(BOTH, yes_no, True),
    "FileStorePath": Key(BOTH, text, True),
    "FileStoreSync": Key(QFJ, yes_no, True),
    **_accepted(QFJ, text, "FileStoreMaxCachedMsgs"),
    **_accepted(QF, yes_no, "MySQLStoreUseConnectionPool", "PostgreSQLStoreUseConnectionPool"),
    **_accepted(QF, text, "MySQLStoreDatabase", "MySQLStoreUser", "MySQLStorePassword", "MySQLStoreHost",
                "MySQLStorePort", "PostgreSQLStoreDatabase", "PostgreSQLStoreUser", "PostgreSQLStorePassword",
                "PostgreSQLStoreHost", "PostgreSQLStorePort", "OdbcStoreUser", "OdbcStorePassword",
                "OdbcStoreConnectionString"),
    **_accepted(QFJ, text, "JdbcDataSourceName", "JdbcDriver", "JdbcURL", "JdbcUser", "JdbcPassword",
                "JdbcStoreMessagesTableName", "JdbcStoreSessionsTableName", "JdbcLogIncomingTable",
                "JdbcLogOutgoingTable", "JdbcLogEventTable", "JdbcSessionIdDefaultPropertyValue",
                "JdbcMaxActiveConnection", "JdbcMinIdleConnection", "JdbcMaxConnectionLifeTime",
                "JdbcConnectionTimeout", "JdbcConnectionIdleTimeout", "JdbcConnectionKeepaliveTime",
                "JdbcConnectionTestQuery"),
    **_accepted(QFJ, yes_no, "JdbcLogHeartBeats"),
    # logging
    "FileLogPath": Key(BOTH, text, False),
    **_accepted(BOTH, yes_no, "ScreenLogShowIncoming", "ScreenLogShowOutgoing", "ScreenLogShowEvents"),
    **_accepted(QFJ, yes_no, "ScreenLogShowHeartBeats", "FileLogHeartbeats", "FileIncludeMilliseconds",
                "FileIncludeTimeStampForMessages", "SLF4JLogPrependSessionID", "SLF4JLogHeartbeats"),
    **_accepted(QFJ, text, "SLF4JLogEventCategory", "SLF4JLogIncomingMessageCategory",
                "SLF4JLogOutgoingMessageCategory"),
    **_accepted(QF, yes_no, "MySQLLogUseConnectionPool", "PostgreSQLLogUseConnectionPool"),
    **_accepted(QF, text, "FileLogBackupPath", "MySQLLogDatabase", "MySQLLogUser", "MySQLLogPassword",
                "MySQLLogHost", "MySQLLogPort", "MySQLLogIncomingTable", "MySQLLogOutgoingTable",
                "MySQLLogEventTable", "PostgreSQLLogDatabase", "PostgreSQLLogUser", "PostgreSQLLogPassword",
                "PostgreSQLLogHost", "PostgreSQLLogPort", "PostgreSQLLogIncomingTable", "PostgreSQLLogOutgoingTable",
                "PostgreSQLLogEventTable", "OdbcLogUser", "OdbcLogPassword", "OdbcLogConnectionString",
                "OdbcLogIncomingTable", "OdbcLogOutgoingTable", "OdbcLogEventTable",
                # as QuickFIX's configuration page spells them
                "PostgresSQLLogIncomingTable", "PostgresSQLLogOutgoingTable", "PostgresSQLLogEventTable"),
    # DynamicTech's own (see settings.py)
    "SQLStoreURL": Key(OURS, secret, True),
    "Username": Key(OURS, secret, True),
    "Password": Key(OURS, secret, True),
    # what one peer can make us hold (QuickFIX has no such bounds): see settings.py
    "MaxMessageSize": Key(OURS, positive_number, True),
    "MaxQueuedMessages": Key(OURS, positive_number, True),
    "MaxQueuedBytes": Key(OURS, positive_number, True),
    "MaxPendingLogons": Key(OURS, positive_number, True),
    "MaxPendingLogonsPerHost": Key(OURS, positive_number, True),
}

_NUMBERED = re.compile(r"(?P<stem>[A-Za-z]+?)(?P<n>[1-9][0-9]*)")
_VERSIONED = "AppDataDictionary."


def lookup(key: str) -> Key | None:
    """The table's entry for ``key``, reading SocketConnectHost2 as SocketConnectHost<n> and so on."""
    if key in KEYS:
        return KEYS[key]
    numbered = _NUMBERED.fullmatch(key)
    if numbered is not None:
        return KEYS.get(f"{numbered['stem']}<n>")
    if key.startswith(_VERSIONED) and len(key) > len(_VERSIONED):
        return KEYS["AppDataDictionary.<BeginString>"]
    return None


def suggestion(key: str) -> str | None:
    """The documented key a misspelt ``key`` most likely meant."""
    numbered = _NUMBERED.fullmatch(key)
    stem, suffix = (numbered["stem"], numbered["n"]) if numbered else (key, "")
    names = {name.removesuffix("<n>"): name for name in KEYS if name != "AppDataDictionary.<BeginString>"}
    by_case = {name.lower(): name for name in names}
    close = by_case.get(stem.lower()) or next(iter(difflib.get_close_matches(stem, names, n=1)), None)
    if close is None:
        return None
    return close + suffix if suffix and names[close].endswith("<n>") else close
