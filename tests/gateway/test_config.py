"""The gateway's bindings: read from the hub's TOML, checked against the directory, and every .cfg session bound."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.domain.tenancy import Account, Directory, Group, Role, Tenant, User
from fix_sessions.settings import parse_settings
from gateway.config import BindingError, check_drop_copy_session, load_bindings, parse_bindings

TOML = """
[gateway.order_entry.PROPFIRM1]
accounts = ["ACC-1", "ACC-2"]
default_account = "ACC-2"

[gateway.order_entry.ALGO]
accounts = ["ACC-3"]

[gateway.drop_copy.BROKERA-DC]
tenant = "broker-a"
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
    entry, copies = bindings.split(sessions("PROPFIRM1", "BROKERA-DC", "ALGO"))
    assert [c.session_id.target_comp_id for c in entry] == ["PROPFIRM1", "ALGO"]
    assert [c.session_id.target_comp_id for c in copies] == ["BROKERA-DC"]
    with pytest.raises(BindingError, match="no .* binding for CompID STRANGER"):
        bindings.split(sessions("STRANGER"))


@pytest.mark.parametrize(("table", "problem"), [
    ({"order_entry": {"A": {"accounts": ["X", "Y"]}}}, "default_account is required"),
    ({"order_entry": {"A": {"accounts": ["X"], "default_account": "Z"}}}, "not one of its accounts"),
    ({"order_entry": {"A": {"accounts": []}}}, "non-empty list"),
    ({"order_entry": {"A": {"accounts": ["X"], "acounts": ["Y"]}}}, "expected accounts"),
    ({"drop_copy": {"A": {"tenant": 7}}}, "expected tenant"),
    ({"order_entry": {"A": {"accounts": ["X"]}}, "drop_copy": {"A": {"tenant": "t"}}}, "both order entry and drop"),
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
    parse_bindings({"order_entry": {"A": {"accounts": ["ACC-1"]}}}).check(directory)
    with pytest.raises(BindingError, match="A: unknown account ACC-9; D: unknown tenant broker-z"):
        parse_bindings({"order_entry": {"A": {"accounts": ["ACC-1", "ACC-9"], "default_account": "ACC-1"}},
                        "drop_copy": {"D": {"tenant": "broker-z"}}}).check(directory)


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
