"""QuickFIX-style .cfg files: a QuickFIX user's file loads, our keys take effect, mistakes name key and line."""
from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from fix_sessions.session_id import SessionID
from fix_sessions.settings import SettingsError, load_settings, parse_settings

AT_CONFIG = Path(__file__).with_name("at.cfg")
REPO = Path(__file__).resolve().parents[2]

INITIATOR = """\
[DEFAULT]
ConnectionType=initiator
HeartBtInt=20
ReconnectInterval=5
SocketConnectHost=127.0.0.1
SocketConnectPort=9001
SocketConnectHost1=10.0.0.2
SocketConnectPort1=9002

[SESSION]
BeginString=FIX.4.4
SenderCompID=HUB
TargetCompID=PRIMEXM
ResetOnLogon=Y
StartTime=22:05:00
EndTime=22:00:00
StartDay=Sunday
EndDay=fri
TimeZone=Europe/London
Username=hub-user
Password=env:TEST_LP_PASSWORD
TimestampPrecision=6

[SESSION]
BeginString=FIX.4.2
SenderCompID=HUB
TargetCompID=EQUITY
HeartBtInt=45
"""


def test_quickfix_acceptance_configuration_loads_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    settings = load_settings(AT_CONFIG)
    ids = {c.session_id for c in settings.acceptors()}
    assert SessionID("FIX.4.4", "ISLD", "TW44") in ids and SessionID("FIX.4.2", "ISLD", "TW42") in ids
    no_check = settings.by_id(SessionID("FIX.4.4", "ISLD", "NO_CHECK_FIELDS_HAVE_VALUES"))
    assert no_check.validate_fields_have_values is False and no_check.reset_on_logon is True
    assert no_check.socket_reuse_address is True and no_check.socket_accept_port == 5001


def test_default_section_is_inherited_and_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LP_PASSWORD", "from-env")
    settings = parse_settings(INITIATOR)
    lp, equity = settings.initiators()
    assert lp.heartbeat_interval == 20 and equity.heartbeat_interval == 45
    assert lp.socket_connect_hosts == (("127.0.0.1", 9001), ("10.0.0.2", 9002))
    assert lp.reset_on_logon and not equity.reset_on_logon
    assert (lp.start_time, lp.end_time, lp.start_day, lp.end_day) == (dt.time(22, 5), dt.time(22, 0), 6, 4)
    assert lp.time_zone == "Europe/London" and lp.timestamp_precision == 6
    assert lp.username == "hub-user" and lp.password == "from-env"
    assert "from-env" not in repr(lp)


@pytest.mark.parametrize(("line", "message"), [
    ("HeartBtIn=30", "unknown key 'HeartBtIn' (did you mean 'HeartBtInt'?)"),
    ("HeartBtInt=abc", "HeartBtInt must be a whole number of seconds, got 'abc'"),
    ("ResetOnLogon=yes", "ResetOnLogon must be Y or N, got 'yes'"),
    ("StartDay=Funday", "StartDay must be a day of the week"),
    ("TimestampPrecision=4", "TimestampPrecision must be 0, 3, 6 or 9"),
    ("SocketAcceptPort=70000", "SocketAcceptPort must be a port number"),
])
def test_a_mistake_names_the_key_and_its_line(line: str, message: str) -> None:
    text = f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=9000\n\n[SESSION]\nBeginString=FIX.4.4\n" \
           f"SenderCompID=HUB\nTargetCompID=C1\n{line}\n"
    with pytest.raises(SettingsError) as raised:
        parse_settings(text, source="hub.cfg")
    assert str(raised.value).startswith("hub.cfg:9: ") and message in str(raised.value)


def test_missing_keys_and_duplicate_sessions_name_the_session_line() -> None:
    with pytest.raises(SettingsError, match=r"hub.cfg:2: \[SESSION\] is missing TargetCompID"):
        parse_settings("\n[SESSION]\nConnectionType=acceptor\nSocketAcceptPort=1\nBeginString=FIX.4.4\n"
                       "SenderCompID=A\n", source="hub.cfg")
    twice = "[SESSION]\nConnectionType=acceptor\nSocketAcceptPort=1\nBeginString=FIX.4.4\nSenderCompID=A\n" \
            "TargetCompID=B\n"
    with pytest.raises(SettingsError, match="defined twice"):
        parse_settings(twice + "\n" + twice, source="hub.cfg")
    with pytest.raises(SettingsError, match="Password refers to environment variable NOT_SET_ANYWHERE"):
        parse_settings(twice + "Password=env:NOT_SET_ANYWHERE\n")


def test_keys_quickfix_documents_that_we_do_not_implement_are_named_in_one_warning() -> None:
    text = "[DEFAULT]\nScreenLogShowIncoming=Y\nFileLogPath=log\n[SESSION]\nConnectionType=acceptor\n" \
           "SocketAcceptPort=1\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nJdbcURL=x\n"
    with capture_logs() as logs:
        settings = parse_settings(text, source="qf.cfg")
    warnings = [entry for entry in logs if entry["event"] == "fix.settings.unimplemented_keys"]
    assert len(warnings) == 1
    assert warnings[0]["keys"] == ["FileLogPath", "JdbcURL", "ScreenLogShowIncoming"]
    assert set(warnings[0]["keys"]) == settings.unimplemented_keys


def test_tls_settings_build_a_server_context(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "hub.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "hub.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    text = f"[SESSION]\nConnectionType=acceptor\nSocketAcceptPort=1\nBeginString=FIX.4.4\nSenderCompID=A\n" \
           f"TargetCompID=B\nSocketUseSSL=Y\nServerCertificateFile={tmp_path / 'hub.pem'}\n" \
           f"ServerCertificateKeyFile={tmp_path / 'hub.key'}\n"
    [config] = parse_settings(text).sessions
    context = config.ssl_context()
    assert isinstance(context, ssl.SSLContext)
    plain = parse_settings(text.replace("SocketUseSSL=Y\n", "").split("ServerCertificateFile")[0]).sessions[0]
    assert plain.ssl_context() is None
