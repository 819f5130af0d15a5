"""The gateway's bindings: read from the hub's TOML, checked against the directory, and every .cfg session bound."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.domain.tenancy import Account, Directory, Group, Role, Tenant, User
from engine.storage.access import hash_password
from fix_sessions.settings import parse_settings
from gateway.config import BindingError, check_drop_copy_session, load_bindings, parse_bindings

H = hash_password("a-test-password")
TOML = f"""
[gateway.order_entry.PROPFIRM1]
accounts = ["ACC-1", "ACC-2"]
default_account = "ACC-2"
password_hash = "{H}"
username = "propfirm"
sources = ["127.0.0.1", "10.1.0.0/16"]

[gateway.order_entry.ALGO]
accounts = ["ACC-3"]
password_hash = "{H}"

[gateway.drop_copy.BROKERA-DC]
tenant = "broker-a"
password_hash = "{H}"
"""


def sessions(*comp_ids: str, extra: str = "FileStorePath=var/fix\n") -> list:  # type: ignore[type-arg]
    text = f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=0\nUseDataDictionary=N\n{extra}" + "".join(
        f"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=HUB\nTargetCompID={comp_id}\n" for comp_id in comp_ids)
    return list(parse_settings(text).acceptors())


def test_bindings_come_from_the_hubs_toml_and_split_the_sessions(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(TOML)
    bindings = load_bindings(path)
    assert bindings.clients["PROPFIRM1"].accounts == {"ACC-1", "ACC-2"}
    assert bindings.clients["PROPFIRM1"].default_account == "ACC-2"
    assert bindings.clients["ALGO"].default_account == "ACC-3", "one account is its own default"
    assert bindings.drop_copies["BROKERA-DC"].tenant_id == "broker-a"
    logon = bindings.clients["PROPFIRM1"].logon
    assert logon.username == "propfirm" and bindings.clients["ALGO"].logon.username == "ALGO", "the CompID by default"
    assert logon.allows("10.1.7.9") and logon.allows("127.0.0.1") and not logon.allows("10.2.0.1")
    assert bindings.clients["ALGO"].logon.allows("192.0.2.1"), "no sources: anywhere"
    entry, copies = bindings.split(sessions("PROPFIRM1", "BROKERA-DC", "ALGO"))
    assert [c.session_id.target_comp_id for c in entry] == ["PROPFIRM1", "ALGO"]
    assert [c.session_id.target_comp_id for c in copies] == ["BROKERA-DC"]
    with pytest.raises(BindingError, match="no .* binding for CompID STRANGER"):
        bindings.split(sessions("STRANGER"))


@pytest.mark.parametrize(("table", "problem"), [
    ({"order_entry": {"A": {"accounts": ["X", "Y"], "password_hash": H}}}, "default_account is required"),
    ({"order_entry": {"A": {"accounts": ["X"], "default_account": "Z", "password_hash": H}}}, "not one of its accounts"),
    ({"order_entry": {"A": {"accounts": [], "password_hash": H}}}, "non-empty list"),
    ({"order_entry": {"A": {"accounts": ["X"], "acounts": ["Y"], "password_hash": H}}}, "expected accounts"),
    ({"drop_copy": {"A": {"tenant": 7, "password_hash": H}}}, "expected tenant"),
    ({"order_entry": {"A": {"accounts": ["X"], "password_hash": H}}, "drop_copy": {"A": {"tenant": "t", "password_hash": H}}},
     "both order entry and drop"),
    ({"order_entry": {"A": {"accounts": ["X"]}}}, "password_hash must be a scrypt hash"),
    ({"drop_copy": {"A": {"tenant": "t", "password_hash": "hunter2"}}}, "password_hash must be a scrypt hash"),
    ({"order_entry": {"A": {"accounts": ["X"], "password_hash": H, "sources": ["10.0.0.300"]}}}, "sources"),
    ({"drop_copies": {}}, "unknown \\[gateway\\] keys"),
])
def test_a_binding_that_cannot_be_used_is_an_error_naming_it(table: dict, problem: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(BindingError, match=problem):
        parse_bindings(table)


def test_bound_accounts_and_tenants_must_exist() -> None:
    directory = Directory()
    directory.add_tenant(Tenant("broker-a", "Broker A"))
    directory.add_user(User("trader-1", "broker-a", Role.END_USER))
    directory.add_group(Group("standard", "broker-a"))
    directory.add_account(Account("ACC-1", "broker-a", "trader-1", "standard"))
    parse_bindings({"order_entry": {"A": {"accounts": ["ACC-1"], "password_hash": H}}}).check(directory)
    with pytest.raises(BindingError, match="A: unknown account ACC-9; D: unknown tenant broker-z"):
        parse_bindings({"order_entry": {"A": {"accounts": ["ACC-1", "ACC-9"], "default_account": "ACC-1",
                                              "password_hash": H}},
                        "drop_copy": {"D": {"tenant": "broker-z", "password_hash": H}}}).check(directory)


def test_a_drop_copy_session_keeps_what_it_sent_and_never_resets() -> None:
    (config,) = sessions("BROKERA-DC")
    check_drop_copy_session(config)
    check_drop_copy_session(replace(config, file_store_path=None, sql_store_url="sqlite:///fix.db"))
    with pytest.raises(BindingError, match="needs FileStorePath or SQLStoreURL"):
        check_drop_copy_session(replace(config, file_store_path=None))
    with pytest.raises(BindingError, match="needs FileStorePath"):
        check_drop_copy_session(replace(config, persist_messages=False))
    with pytest.raises(BindingError, match="would drop unsent executions"):
        check_drop_copy_session(replace(config, reset_on_logon=True))
