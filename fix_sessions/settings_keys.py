"""Every session setting key QuickFIX (C++, and QuickFIX/J for users who come from Java) documents, and ours.

A key is either implemented (it takes effect) or accepted (a QuickFIX user's file still loads; it is named in one
warning). Anything else is a misspelling and an error.
"""
from __future__ import annotations

import re

IMPLEMENTED = frozenset({
    "BeginString", "SenderCompID", "TargetCompID", "SessionQualifier", "ConnectionType",
    "HeartBtInt", "SocketAcceptPort", "SocketAcceptAddress", "SocketAcceptHost", "SocketConnectHost",
    "SocketConnectPort", "ReconnectInterval", "StartTime", "EndTime", "StartDay", "EndDay", "TimeZone",
    "ResetOnLogon", "ResetOnLogout", "ResetOnDisconnect", "RefreshOnLogon", "UseDataDictionary", "DataDictionary",
    "TransportDataDictionary", "AppDataDictionary", "ValidateFieldsHaveValues", "ValidateFieldsOutOfOrder",
    "ValidateUserDefinedFields", "AllowUnknownMsgFields", "CheckLatency", "MaxLatency", "CheckCompID",
    "SendRedundantResendRequests", "PersistMessages", "FileStorePath", "FileStoreSync", "LogonTimeout",
    "LogoutTimeout", "SocketReuseAddress", "SocketNodelay", "SocketTcpNoDelay", "TimestampPrecision",
    "MillisecondsInTimeStamp",
    # TLS, by QuickFIX C++'s names and QuickFIX/J's
    "SSLProtocol", "SSLCipherSuite", "ServerCertificateFile", "ServerCertificateKeyFile", "ClientCertificateFile",
    "ClientCertificateKeyFile", "CertificationAuthoritiesFile", "CertificateVerifyLevel", "SocketUseSSL",
    "SSLEnable",
    # DynamicTech's own (see settings.py)
    "SQLStoreURL", "Username", "Password",
})

ACCEPTED = frozenset({
    # QuickFIX C++
    "SendResetSeqNumFlag", "UseLocalTime", "LogonTime", "LogoutTime", "LogonDay", "LogoutDay", "DefaultApplVerID",
    "SendBufferSize", "ReceiveBufferSize", "SocketConnectSourceHost", "SocketConnectSourcePort",
    "ValidateLengthAndChecksum", "PreserveMessageFieldsOrder", "HttpAcceptPort", "FileStoreMaxCachedMsgs",
    "FileLogPath", "FileLogBackupPath", "ScreenLogShowIncoming", "ScreenLogShowOutgoing", "ScreenLogShowEvents",
    "ScreenLogShowHeartBeats", "CertificationAuthoritiesDirectory", "CertificateRevocationListFile",
    "CertificateRevocationListDirectory", "SSLCertificatePassword", "ServerCertificateKeyPassword",
    "ClientCertificateKeyPassword", "SocketAcceptTimeout",
    "MySQLStoreUseConnectionPool", "MySQLStoreDatabase", "MySQLStoreUser", "MySQLStorePassword", "MySQLStoreHost",
    "MySQLStorePort", "PostgreSQLStoreUseConnectionPool", "PostgreSQLStoreDatabase", "PostgreSQLStoreUser",
    "PostgreSQLStorePassword", "PostgreSQLStoreHost", "PostgreSQLStorePort", "OdbcStoreUser", "OdbcStorePassword",
    "OdbcStoreConnectionString", "MySQLLogUseConnectionPool", "MySQLLogDatabase", "MySQLLogUser",
    "MySQLLogPassword", "MySQLLogHost", "MySQLLogPort", "MySQLLogIncomingTable", "MySQLLogOutgoingTable",
    "MySQLLogEventTable", "PostgreSQLLogUseConnectionPool", "PostgreSQLLogDatabase", "PostgreSQLLogUser",
    "PostgreSQLLogPassword", "PostgreSQLLogHost", "PostgreSQLLogPort", "PostgreSQLLogIncomingTable",
    "PostgreSQLLogOutgoingTable", "PostgreSQLLogEventTable", "OdbcLogUser", "OdbcLogPassword",
    "OdbcLogConnectionString", "OdbcLogIncomingTable", "OdbcLogOutgoingTable", "OdbcLogEventTable",
    # QuickFIX/J
    "SenderSubID", "SenderLocationID", "TargetSubID", "TargetLocationID", "Weekdays", "NonStopSession",
    "ClosedResendInterval", "EnableLastMsgSeqNumProcessed", "EnableNextExpectedMsgSeqNum",
    "ResendRequestChunkSize", "RejectInvalidMessage", "RejectMessageOnUnhandledException",
    "RequiresOrigSendingTime", "ForceResendWhenCorruptedStore", "AllowedRemoteAddresses", "ValidateIncomingMessage",
    "ValidateSequenceNumbers", "ValidateChecksum", "ValidateUnorderedGroupFields", "FirstFieldInGroupIsDelimiter",
    "DisableHeartBeatCheck", "TestRequestDelayMultiplier", "HeartBeatTimeoutMultiplier", "LogonTag",
    "MaxScheduledWriteRequests", "ResetOnError", "DisconnectOnError", "SocketLocalHost", "SocketLocalPort",
    "SocketKeepAlive", "SocketOobInline", "SocketReceiveBufferSize", "SocketSendBufferSize", "SocketSoLinger",
    "SocketTrafficClass", "SocketSynchronousWrites", "SocketSynchronousWriteTimeout", "SocketKeyStore",
    "SocketKeyStorePassword", "SocketTrustStore", "SocketTrustStorePassword", "CipherSuites", "EnabledProtocols",
    "UseSNI", "NeedClientAuth", "EndpointIdentificationAlgorithm", "KeyManagerFactoryAlgorithm",
    "TrustManagerFactoryAlgorithm", "ProxyType", "ProxyVersion", "ProxyHost", "ProxyPort", "ProxyUser",
    "ProxyPassword", "ProxyDomain", "ProxyWorkstation", "FileStoreMaxCachedMsgs", "FileIncludeMilliseconds",
    "FileIncludeTimeStampForMessages", "FileLogHeartbeats", "SLF4JLogEventCategory", "SLF4JLogIncomingMessageCategory",
    "SLF4JLogOutgoingMessageCategory", "SLF4JLogPrependSessionID", "SLF4JLogHeartbeats", "JdbcDataSourceName",
    "JdbcDriver", "JdbcURL", "JdbcUser", "JdbcPassword", "JdbcStoreMessagesTableName", "JdbcStoreSessionsTableName",
    "JdbcLogHeartBeats", "JdbcLogIncomingTable", "JdbcLogOutgoingTable", "JdbcLogEventTable",
    "JdbcSessionIdDefaultPropertyValue", "JdbcMaxActiveConnection", "JdbcMinIdleConnection",
    "JdbcMaxConnectionLifeTime", "JdbcConnectionTimeout", "JdbcConnectionIdleTimeout",
    "JdbcConnectionKeepaliveTime", "JdbcConnectionTestQuery", "SleepycatDatabaseDir",
    "SleepycatSequenceDbName", "SleepycatMessageDbName", "AcceptorTemplate", "ScreenIncludeMilliseconds",
    "LogonTimeoutInterval",
})

# SocketConnectHost1, SocketConnectPort1, ... are the failover list.
_INDEXED = re.compile(r"^(SocketConnectHost|SocketConnectPort)\d+$")


def kind(key: str) -> str | None:
    """"implemented", "accepted", or None for a key nobody documents."""
    if key in IMPLEMENTED or _INDEXED.match(key):
        return "implemented"
    if key in ACCEPTED:
        return "accepted"
    return None


ALL_KEYS = IMPLEMENTED | ACCEPTED
