"""QuickFIX-style .cfg files: a QuickFIX user's file loads, our keys take effect, mistakes name key and line."""
from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from fix_sessions.session_id import SessionID
from fix_sessions.settings import LOCAL_TIME, SettingsError, load_settings, parse_settings
from fix_sessions.settings_keys import KEYS

AT_CONFIG = Path(__file__).with_name("at.cfg")
REPO = Path(__file__).resolve().parents[2]

ACCEPTOR = "[SESSION]\nConnectionType=acceptor\nSocketAcceptPort=9000\nBeginString=FIX.4.4\nSenderCompID=HUB\n" \
           "TargetCompID=C1\n"

INITIATOR = """\
[DEFAULT]
ConnectionType=initiator
HeartBtInt=20
ReconnectInterval=5
SocketConnectHost=127.0.0.1
SocketConnectPort=9001

[SESSION]
BeginString=FIX.4.4
SenderCompID=HUB
TargetCompID=PRIMEXM
ResetOnLogon=Y

[SESSION]
BeginString=FIX.4.2
SenderCompID=HUB
TargetCompID=EQUITY
HeartBtInt=45
"""


def errors_from(text: str) -> str:
    with pytest.raises(SettingsError) as raised:
        parse_settings(text, source="hub.cfg")
    return str(raised.value)


def test_our_acceptance_test_configuration_loads_from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    with capture_logs() as logs:
        settings = load_settings(AT_CONFIG, overrides={"SocketAcceptPort": "12345"})
    assert logs == [] and settings.unimplemented_keys == frozenset()
    assert [str(c.session_id) for c in settings.acceptors()] == [
        "FIX.4.2:ISLD->TW42", "FIX.4.4:ISLD->TW44", "FIX.4.4:ISLD->TW", "FIX.4.4:ISLD->NO_CHECK_FIELDS_HAVE_VALUES"]
    no_check = settings.by_id(SessionID("FIX.4.4", "ISLD", "NO_CHECK_FIELDS_HAVE_VALUES"))
    assert no_check.validate_fields_have_values is False and no_check.reset_on_logon is True
    assert no_check.socket_reuse_address is True and no_check.socket_accept_port == 12345
    assert no_check.data_dictionary == "tests/fix_sessions/quickfix_at/spec/FIX44.xml"  # as written
    assert Path(no_check.data_dictionary).is_file()
    assert settings.by_id(SessionID("FIX.4.2", "ISLD", "TW42")).validate_fields_have_values is True
    assert load_settings(AT_CONFIG).sessions[0].socket_accept_port == 5001


def test_the_file_quickfix_writes_for_its_own_acceptance_tests_loads(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """QuickFIX's test/setup.sh writes this shape: FIX.4.0 to FIXT.1.1, dictionaries in ../spec."""
    (tmp_path / "spec").mkdir()
    (tmp_path / "test").mkdir()
    versions = [("FIX.4.0", "TW40", "FIX40"), ("FIX.4.1", "TW41", "FIX41"), ("FIX.4.2", "TW42", "FIX42"),
                ("FIX.4.3", "TW43", "FIX43"), ("FIX.4.4", "TW44", "FIX44")]
    sessions = [f"[SESSION]\nBeginString={begin}\nTargetCompID={target}\nDataDictionary=../spec/{name}.xml\n"
                for begin, target, name in versions]
    sessions += [f"[SESSION]\nBeginString=FIXT.1.1\nTargetCompID={target}\nDefaultApplVerID={appl}\n"
                 f"TransportDataDictionary=../spec/FIXT11.xml\nAppDataDictionary=../spec/{name}.xml\n"
                 for target, appl, name in [("TW50", "FIX.5.0", "FIX50"), ("TW50SP1", "FIX.5.0SP1", "FIX50SP1"),
                                            ("TW50SP2", "FIX.5.0SP2", "FIX50SP2")]]
    sessions += ["[SESSION]\nBeginString=FIX.4.4\nTargetCompID=TW\nDataDictionary=../spec/FIX44.xml\n",
                 "[SESSION]\nBeginString=FIX.4.4\nTargetCompID=NO_CHECK_FIELDS_HAVE_VALUES\n"
                 "DataDictionary=../spec/FIX44.xml\nValidateFieldsHaveValues=N\n"]
    for name in ("FIX40", "FIX41", "FIX42", "FIX43", "FIX44", "FIXT11", "FIX50", "FIX50SP1", "FIX50SP2"):
        (tmp_path / "spec" / f"{name}.xml").write_text("<fix/>")
    text = "[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=5001\nSocketReuseAddress=Y\n" \
           "StartTime=00:00:00\nEndTime=00:00:00\nSenderCompID=ISLD\nResetOnLogon=Y\nFileStorePath=store\n" \
           + "".join(sessions)
    monkeypatch.chdir(tmp_path / "test")
    with capture_logs() as logs:
        settings = parse_settings(text, source="cfg/at.cfg")
    assert len(settings.acceptors()) == 10
    sp2 = settings.by_id(SessionID("FIXT.1.1", "ISLD", "TW50SP2"))
    assert sp2.transport_data_dictionary == "../spec/FIXT11.xml"
    assert sp2.app_data_dictionary == "../spec/FIX50SP2.xml" and sp2.raw["DefaultApplVerID"] == "FIX.5.0SP2"
    assert [entry["keys"] for entry in logs] == [["DefaultApplVerID"]]


def test_a_session_inherits_default_and_overrides_it() -> None:
    lp, equity = parse_settings(INITIATOR).initiators()
    assert lp.heartbeat_interval == 20 and equity.heartbeat_interval == 45
    assert lp.reset_on_logon and not equity.reset_on_logon
    assert lp.reconnect_interval == equity.reconnect_interval == 5
    assert lp.socket_connect_hosts == equity.socket_connect_hosts == (("127.0.0.1", 9001),)
    assert parse_settings(INITIATOR).defaults["HeartBtInt"] == "20"
    assert equity.raw["HeartBtInt"] == "45" and equity.raw["ConnectionType"] == "initiator"


def test_every_implemented_key_takes_effect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("FIX44.xml", "FIXT11.xml", "FIX50SP2.xml"):
        (tmp_path / name).write_text("<fix/>")
    monkeypatch.setenv("TEST_DB_URL", "postgresql://hub:secret@db/fix")
    keys = {
        "BeginString": "FIX.4.4", "SenderCompID": "HUB", "TargetCompID": "LP", "SessionQualifier": "md",
        "ConnectionType": "initiator", "HeartBtInt": "15", "SocketConnectHost": "lp1", "SocketConnectPort": "9001",
        "SocketConnectHost1": "lp2", "SocketConnectPort1": "9002", "ReconnectInterval": "7",
        "StartTime": "22:05:00", "EndTime": "22:00:00", "StartDay": "Sun", "EndDay": "fr",
        "TimeZone": "Europe/London", "ResetOnLogon": "Y", "ResetOnLogout": "Y", "ResetOnDisconnect": "Y",
        "RefreshOnLogon": "Y", "UseDataDictionary": "N", "DataDictionary": "FIX44.xml",
        "TransportDataDictionary": "FIXT11.xml", "AppDataDictionary": "FIX50SP2.xml",
        "ValidateFieldsHaveValues": "N", "ValidateFieldsOutOfOrder": "N", "ValidateUserDefinedFields": "N",
        "AllowUnknownMsgFields": "Y", "CheckLatency": "N", "MaxLatency": "30", "CheckCompID": "N",
        "SendRedundantResendRequests": "Y", "PersistMessages": "N", "FileStorePath": "store", "FileStoreSync": "Y",
        "SQLStoreURL": "env:TEST_DB_URL", "LogonTimeout": "4", "LogoutTimeout": "3",
        "SocketReuseAddress": "Y", "SocketNodelay": "N", "TimestampPrecision": "6", "Username": "hub-user",
        "Password": "plain", "MaxMessageSize": "65536", "MaxQueuedMessages": "100", "MaxQueuedBytes": "500000",
        "MaxPendingLogons": "40", "MaxPendingLogonsPerHost": "4",
    }
    [config] = parse_settings("[SESSION]\n" + "".join(f"{k}={v}\n" for k, v in keys.items())).sessions
    assert config.session_id == SessionID("FIX.4.4", "HUB", "LP", "md")
    assert (config.connection_type, config.heartbeat_interval, config.reconnect_interval) == ("initiator", 15, 7)
    assert config.socket_connect_hosts == (("lp1", 9001), ("lp2", 9002))
    assert (config.start_time, config.end_time, config.start_day, config.end_day, config.time_zone) == (
        dt.time(22, 5), dt.time(22, 0), 6, 4, "Europe/London")
    assert config.reset_on_logon and config.reset_on_logout and config.reset_on_disconnect and config.refresh_on_logon
    assert not config.use_data_dictionary
    assert (config.data_dictionary, config.transport_data_dictionary, config.app_data_dictionary) == (
        "FIX44.xml", "FIXT11.xml", "FIX50SP2.xml")
    assert not (config.validate_fields_have_values or config.validate_fields_out_of_order
                or config.validate_user_defined_fields or config.check_latency or config.check_comp_id
                or config.persist_messages or config.socket_nodelay)
    assert config.allow_unknown_msg_fields and config.send_redundant_resend_requests and config.file_store_sync
    assert (config.max_latency, config.logon_timeout, config.logout_timeout) == (30, 4, 3)
    assert config.file_store_path == "store"
    assert config.sql_store_url == "postgresql://hub:secret@db/fix" and config.raw["SQLStoreURL"] == "env:TEST_DB_URL"
    assert config.socket_reuse_address and config.timestamp_precision == 6
    assert (config.username, config.password) == ("hub-user", "plain")
    assert (config.max_message_size, config.max_queued_messages, config.max_queued_bytes) == (65536, 100, 500000)
    assert (config.max_pending_logons, config.max_pending_logons_per_host) == (40, 4)
    acceptor = parse_settings(ACCEPTOR + "SocketAcceptAddress=127.0.0.1\n").sessions[0]
    assert (acceptor.socket_accept_host, acceptor.socket_accept_port) == ("127.0.0.1", 9000)
    assert parse_settings(ACCEPTOR + "SocketAcceptHost=::1\n").sessions[0].socket_accept_host == "::1"
    assert parse_settings(ACCEPTOR + "SocketTcpNoDelay=N\n").sessions[0].socket_nodelay is False
    # the schedule, precision and TLS keys have scenarios of their own below
    elsewhere = {"SocketAcceptPort", "SocketAcceptAddress", "SocketAcceptHost", "SocketTcpNoDelay", "NonStopSession",
                 "UseLocalTime", "MillisecondsInTimeStamp", "TimeStampPrecision", "SocketUseSSL", "NeedClientAuth",
                 "ServerCertificateFile", "ServerCertificateKeyFile", "ClientCertificateFile",
                 "ClientCertificateKeyFile", "CertificationAuthoritiesFile", "CertificationAuthoritiesDirectory",
                 "CertificateVerifyLevel", "SSLCipherSuite"}
    implemented = {key.replace("<n>", "1") for key, entry in KEYS.items() if entry.implemented}
    assert implemented - elsewhere == set(keys)


def test_days_times_and_zones_are_read_as_quickfix_reads_them() -> None:
    def schedule(lines: str) -> tuple[object, ...]:
        config = parse_settings(ACCEPTOR + lines).sessions[0]
        return config.start_time, config.end_time, config.start_day, config.end_day, config.time_zone

    week = "StartTime=08:00:00\nEndTime=17:30:00\n"
    assert schedule(week + "StartDay=mo\nEndDay=FRIDAY\n") == (dt.time(8), dt.time(17, 30), 0, 4, "UTC")
    assert schedule(week + "StartDay=Tues\nEndDay=thurs\n")[2:4] == (1, 3)
    assert schedule("StartTime=15:00:00 US/Central\nEndTime=09:00:00 US/Central\n")[4] == "US/Central"
    assert schedule(week + "UseLocalTime=Y\n")[4] == LOCAL_TIME
    assert schedule("NonStopSession=Y\n") == (None, None, None, None, "UTC")
    assert schedule("") == (None, None, None, None, "UTC")


def test_timestamp_precision_follows_either_quickfix_spelling() -> None:
    def precision(line: str) -> int:
        return parse_settings(ACCEPTOR + line).sessions[0].timestamp_precision

    assert precision("") == 3
    assert precision("MillisecondsInTimeStamp=N\n") == 0
    assert precision("MillisecondsInTimeStamp=N\nTimestampPrecision=9\n") == 9
    assert precision("TimeStampPrecision=MICROS\n") == 6


@pytest.mark.parametrize(("line", "message"), [
    ("HeartBtIn=30", "unknown key 'HeartBtIn' (did you mean 'HeartBtInt'?)"),
    ("heartbtint=30", "unknown key 'heartbtint' (did you mean 'HeartBtInt'?)"),
    ("SocketConectHost2=lp3", "unknown key 'SocketConectHost2' (did you mean 'SocketConnectHost2'?)"),
    ("ResetSeqNumFlag=Y", "unknown key 'ResetSeqNumFlag'"),
    ("HeartBtInt=abc", "HeartBtInt must be a whole number of seconds, got 'abc'"),
    ("ResetOnLogon=yes", "ResetOnLogon must be Y or N, got 'yes'"),
    ("ScreenLogShowEvents=true", "ScreenLogShowEvents must be Y or N, got 'true'"),
    ("StartTime=8:00", "StartTime must be a time of day HH:MM:SS, got '8:00'"),
    ("EndTime=24:00:00", "EndTime must be a time of day HH:MM:SS, got '24:00:00'"),
    ("StartDay=Funday", "StartDay must be a day of the week"),
    ("EndDay=m", "EndDay must be a day of the week"),
    ("TimeZone=Mars/Olympus", "TimeZone must be a time zone name"),
    ("TimestampPrecision=12", "TimestampPrecision must be a whole number from 0 to 9, got '12'"),
    ("TimeStampPrecision=3", "TimeStampPrecision must be SECONDS, MILLIS, MICROS or NANOS"),
    ("SocketAcceptPort=70000", "SocketAcceptPort must be a port number from 0 to 65535, got '70000'"),
    ("BeginString=FIX44", "BeginString must be FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1"),
    ("ConnectionType=server", "ConnectionType must be acceptor or initiator, got 'server'"),
    ("DataDictionary=nowhere/FIX44.xml", "DataDictionary names no file"),
    ("SSLCipherSuite=NOT-A-CIPHER", "SSLCipherSuite must be an OpenSSL cipher list"),
    ("Password=env:NOT_SET_ANYWHERE", "Password refers to environment variable NOT_SET_ANYWHERE, which is not set"),
    ("ReconnectInterval=5", "ReconnectInterval is already set at hub.cfg:6 in this section"),
    ("MaxMessageSize=1MB", "MaxMessageSize must be a whole number, at least 1, got '1MB'"),
    ("MaxPendingLogonsPerHost=0", "MaxPendingLogonsPerHost must be a whole number, at least 1, got '0'"),
])
def test_a_mistake_names_the_key_and_its_line(line: str, message: str) -> None:
    text = "[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=9000\nBeginString=FIX.4.4\n[SESSION]\n" \
           f"ReconnectInterval=30\nSenderCompID=HUB\nTargetCompID=C1\n# the line under test:\n{line}\n"
    error = errors_from(text)
    assert error.startswith("hub.cfg:10: ") and message in error


def test_a_mistake_in_how_keys_combine_names_the_key_or_the_session() -> None:
    assert errors_from(ACCEPTOR + "StartTime=08:00:00\n") == "hub.cfg:1: StartTime and EndTime go together"
    assert "hub.cfg:1: StartDay and EndDay go together" in errors_from(
        ACCEPTOR + "StartTime=08:00:00\nEndTime=17:00:00\nStartDay=Mon\n")
    assert errors_from(ACCEPTOR + "NonStopSession=Y\nStartTime=08:00:00\nEndTime=17:00:00\n").startswith(
        "hub.cfg:7: NonStopSession cannot be Y together with StartTime")
    assert errors_from(ACCEPTOR + "StartTime=08:00:00\nEndTime=17:00:00\nTimeZone=UTC\nUseLocalTime=Y\n").startswith(
        "hub.cfg:10: UseLocalTime cannot be Y together with a TimeZone")
    assert errors_from(ACCEPTOR + "TimestampPrecision=6\nTimeStampPrecision=NANOS\n").startswith(
        "hub.cfg:8: TimeStampPrecision disagrees with TimestampPrecision")
    initiator = INITIATOR.replace("HeartBtInt=20", "HeartBtInt=0")
    assert errors_from(initiator).startswith("hub.cfg:3: HeartBtInt must be greater than zero for an initiator")


def test_a_file_that_is_not_a_settings_file_names_its_line() -> None:
    assert errors_from("[SESSIONS]\n") == "hub.cfg:1: unknown section [SESSIONS] (use [DEFAULT] or [SESSION])"
    assert errors_from("HeartBtInt=30\n") == "hub.cfg:1: HeartBtInt comes before any [DEFAULT] or [SESSION] section"
    assert errors_from("[DEFAULT]\n\n# note\nHeartBtInt 30\n") == "hub.cfg:4: expected Key=Value, got 'HeartBtInt 30'"


def test_section_names_in_any_case_and_empty_values_load_as_quickfix_j_reads_them() -> None:
    settings = parse_settings(ACCEPTOR.replace("[SESSION]", "[session]") + "MySQLStorePassword=\n")
    assert settings.sessions[0].raw["MySQLStorePassword"] == ""


def test_keys_quickfix_documents_that_we_do_not_implement_are_named_in_one_warning() -> None:
    text = "[DEFAULT]\nScreenLogShowIncoming=Y\nLogonTag=553=user\n" + ACCEPTOR + "JdbcURL=x\n" \
           + ACCEPTOR.replace("C1", "C2") + "SocketConnectProtocol1=TCP\nLogonTag1=554=pw\n" \
           "SSLProtocol=all -SSLv2\n"
    with capture_logs() as logs:
        settings = parse_settings(text, source="qf.cfg")
    assert len(logs) == 1 and logs[0]["event"] == "fix.settings.unimplemented_keys"
    assert logs[0]["log_level"] == "warning" and logs[0]["source"] == "qf.cfg"
    assert logs[0]["keys"] == ["JdbcURL", "LogonTag", "LogonTag1", "SSLProtocol", "ScreenLogShowIncoming",
                               "SocketConnectProtocol1"]
    assert settings.unimplemented_keys == frozenset(logs[0]["keys"])
    assert settings.sessions[1].raw["LogonTag1"] == "554=pw"
    with capture_logs() as logs:
        parse_settings(INITIATOR)
        with pytest.raises(SettingsError):
            parse_settings(text + "HeartBtInt=x\n")
    assert logs == []


def test_a_dictionary_per_application_version_is_accepted_but_named_as_unimplemented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FIX44.xml").write_text("<fix/>")
    with capture_logs() as logs:
        settings = parse_settings(ACCEPTOR + "AppDataDictionary.FIX.4.4=FIX44.xml\n")
    assert settings.unimplemented_keys == {"AppDataDictionary.FIX.4.4"} and len(logs) == 1


def test_secrets_come_from_the_environment_and_stay_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LP_PASSWORD", "from-env")
    config = parse_settings(ACCEPTOR + "Username=hub\nPassword=env:TEST_LP_PASSWORD\n").sessions[0]
    assert (config.username, config.password) == ("hub", "from-env")
    assert config.raw["Password"] == "env:TEST_LP_PASSWORD"
    assert "from-env" not in repr(config)


def test_failover_hosts_come_in_order_and_without_gaps() -> None:
    failover = "SocketConnectHost2=lp3\nSocketConnectPort2=9003\nSocketConnectPort1=9002\nSocketConnectHost1=lp2\n"
    [config] = parse_settings(INITIATOR + failover).sessions[1:]
    assert config.socket_connect_hosts == (("127.0.0.1", 9001), ("lp2", 9002), ("lp3", 9003))
    assert errors_from(INITIATOR + "SocketConnectHost1=lp2\n") == \
        "hub.cfg:19: SocketConnectHost1 has no matching SocketConnectPort1"
    assert errors_from(INITIATOR + "SocketConnectHost2=lp3\nSocketConnectPort2=9003\n").startswith(
        "hub.cfg:19: SocketConnectHost2 is out of sequence")


def test_missing_required_keys_name_the_session_and_its_header_line() -> None:
    assert errors_from("\n" + ACCEPTOR.replace("TargetCompID=C1\n", "")) == \
        "hub.cfg:2: [SESSION] FIX.4.4:HUB->? is missing TargetCompID"
    assert errors_from(ACCEPTOR.replace("SocketAcceptPort=9000\n", "")) == \
        "hub.cfg:1: [SESSION] FIX.4.4:HUB->C1 is missing SocketAcceptPort"
    assert errors_from(ACCEPTOR.replace("TargetCompID=C1", "TargetCompID=")) == \
        "hub.cfg:1: [SESSION] FIX.4.4:HUB->? is missing TargetCompID"
    initiator = "# LP\n[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=HUB\nTargetCompID=LP\n"
    assert errors_from(initiator) == \
        "hub.cfg:2: [SESSION] FIX.4.4:HUB->LP is missing SocketConnectHost, SocketConnectPort, HeartBtInt"
    assert errors_from("[SESSION]\n") == \
        "hub.cfg:1: [SESSION] ?:?->? is missing BeginString, SenderCompID, TargetCompID, ConnectionType"


def test_the_same_session_twice_is_an_error_unless_a_qualifier_tells_them_apart() -> None:
    assert errors_from(ACCEPTOR + "\n" + ACCEPTOR) == "hub.cfg:8: session FIX.4.4:HUB->C1 is defined twice"
    settings = parse_settings(ACCEPTOR + ACCEPTOR + "SessionQualifier=2\n")
    assert settings.by_id(SessionID("FIX.4.4", "HUB", "C1", "2")).session_id.qualifier == "2"
    with pytest.raises(KeyError):
        settings.by_id(SessionID("FIX.4.4", "HUB", "C9"))


def test_overrides_replace_a_key_in_every_session_and_are_checked_like_the_file() -> None:
    settings = parse_settings(ACCEPTOR + ACCEPTOR.replace("C1", "C2"), overrides={"SocketAcceptPort": "0"})
    assert {c.socket_accept_port for c in settings.sessions} == {0}
    with pytest.raises(SettingsError, match=r"<string> \(override\): SocketAcceptPort must be a port number"):
        parse_settings(ACCEPTOR, overrides={"SocketAcceptPort": "x"})


def test_a_missing_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read settings"):
        load_settings(tmp_path / "absent.cfg")


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, host: str) -> None:
    """Both sides of a TLS handshake over memory, so the contexts are proven to agree without sockets."""
    pipes = [ssl.MemoryBIO() for _ in range(4)]
    server_side = server.wrap_bio(pipes[0], pipes[1], server_side=True)
    client_side = client.wrap_bio(pipes[2], pipes[3], server_hostname=host)
    done = {id(server_side): False, id(client_side): False}
    for _ in range(10):
        for side in (client_side, server_side):
            try:
                side.do_handshake()
                done[id(side)] = True
            except ssl.SSLWantReadError:
                pass
        pipes[0].write(pipes[3].read())
        pipes[2].write(pipes[1].read())
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


def test_tls_keys_build_contexts_that_complete_a_handshake(tmp_path: Path) -> None:
    hub_cert, hub_key = _self_signed(tmp_path, "hub.test")
    client_cert, client_key = _self_signed(tmp_path, "client.test")
    acceptor = parse_settings(ACCEPTOR + f"SocketUseSSL=Y\nServerCertificateFile={hub_cert}\n"
                              f"ServerCertificateKeyFile={hub_key}\nCertificationAuthoritiesFile={client_cert}\n"
                              "CertificateVerifyLevel=1\n").sessions[0]
    initiator = parse_settings(INITIATOR + f"ClientCertificateFile={client_cert}\n"
                               f"ClientCertificateKeyFile={client_key}\nCertificationAuthoritiesFile={hub_cert}\n"
                               "SSLCipherSuite=HIGH:!aNULL\n").sessions[-1]
    server, client = acceptor.ssl_context(), initiator.ssl_context()
    assert server is not None and client is not None
    assert server.verify_mode == ssl.CERT_REQUIRED and client.verify_mode == ssl.CERT_REQUIRED
    assert client.check_hostname
    _handshake(server, client, "hub.test")
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(server, client, "elsewhere.test")


def test_tls_is_off_unless_configured_and_an_acceptor_needs_a_certificate(tmp_path: Path) -> None:
    hub_cert, _ = _self_signed(tmp_path, "hub.test")
    assert parse_settings(ACCEPTOR).sessions[0].ssl_context() is None
    assert parse_settings(ACCEPTOR + f"SocketUseSSL=N\nServerCertificateFile={hub_cert}\n").sessions[0].tls is None
    assert errors_from(ACCEPTOR + "SocketUseSSL=Y\n") == \
        "hub.cfg:1: a TLS acceptor needs ServerCertificateFile"
    unverified = parse_settings(INITIATOR + "SocketUseSSL=Y\nCertificateVerifyLevel=0\n").sessions[-1].ssl_context()
    assert unverified is not None and unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname
