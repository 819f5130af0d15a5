"""Who may do what through the client FIX doors: an order-entry counterparty trades for the accounts bound to its
CompID, a drop-copy counterparty receives one tenant's executions. A binding may name the ``user`` it acts for;
then the one policy (``engine.domain.policy``) is asked too: ``accounts.trade`` on the order's account at logon and
at each order, ``drop_copy`` on the tenant at a drop copy's logon (a locked user logs on nowhere). Without a user, the
binding alone decides, as before.

The sessions themselves come from a QuickFIX-style .cfg file (``fix_sessions.settings``); a session belongs to the
binding named by its TargetCompID (the counterparty's SenderCompID). The bindings sit in the hub's TOML:

    [gateway.order_entry.PROPFIRM1]
    accounts = ["ACC-1", "ACC-2"]
    default_account = "ACC-1"        # for orders without Account(1); may be left out when there is one account
    user = "trader-1"                # who the session acts for: the policy checks each order against this user
    password_hash = "scrypt$..."     # Password(554) on its Logon: python -m gateway.logon_check (prompts)
    username = "propfirm1"           # Username(553); the CompID when left out
    sources = ["203.0.113.0/24"]     # addresses it may connect from; anywhere when left out

    [gateway.drop_copy.BROKERA-DC]
    tenant = "broker-a"
    user = "owner"                   # must have drop_copy on the tenant (a broker of it, an admin of its region)
    password_hash = "scrypt$..."
    catch_up = "day"                 # or "none": what it gets again when it first connects or resets (see below)

Every binding has a password: a client session that logs on without the right Username and Password is refused.
"""
from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.domain.tenancy import Directory
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig


class BindingError(ValueError):
    """The bindings cannot be used; the message names the CompID and what is wrong."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a counterparty's Logon must carry, and where it may come from (no networks: anywhere)."""

    username: str
    password_hash: str
    sources: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def allows(self, address: str) -> bool:
        if not self.sources:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.sources)


@dataclass(frozen=True, slots=True)
class ClientBinding:
    """An order-entry counterparty: the accounts it may name (and hears of), the one an order without Account(1)
    goes to, and the user it acts for, whose permissions every order is checked against."""

    comp_id: str
    accounts: frozenset[str]
    default_account: str
    logon: Credentials
    user: str | None = None


CATCH_UP = ("day", "none")


@dataclass(frozen=True, slots=True)
class DropCopyBinding:
    """A broker's drop-copy counterparty: every execution of ``tenant_id`` is copied to it. ``catch_up`` says what
    it gets of the executions before it connected: with "day" (the default), the day's executions so far (since
    00:00 UTC by the hub's clock) when the hub first meets the session, and again after each logon that starts its
    sequence numbers over (ResetSeqNumFlag=Y), since a reset throws away what the session had stored for it; with
    "none", only what follows."""

    comp_id: str
    tenant_id: str
    logon: Credentials
    catch_up: str = "day"
    user: str | None = None


@dataclass(frozen=True)
class Bindings:
    clients: Mapping[str, ClientBinding] = field(default_factory=dict)
    drop_copies: Mapping[str, DropCopyBinding] = field(default_factory=dict)

    def client(self, session_id: SessionID) -> ClientBinding | None:
        return self.clients.get(session_id.target_comp_id)

    def drop_copy(self, session_id: SessionID) -> DropCopyBinding | None:
        return self.drop_copies.get(session_id.target_comp_id)

    def split(self, configs: Iterable[SessionConfig]) -> tuple[list[SessionConfig], list[SessionConfig]]:
        """The acceptor sessions for order entry and for drop copy; a session no binding names is an error."""
        entry: list[SessionConfig] = []
        copies: list[SessionConfig] = []
        for config in configs:
            if self.client(config.session_id) is not None:
                entry.append(config)
            elif self.drop_copy(config.session_id) is not None:
                copies.append(config)
            else:
                raise BindingError(f"session {config.session_id}: no [gateway.order_entry] or [gateway.drop_copy] "
                                   f"binding for CompID {config.session_id.target_comp_id}")
        return entry, copies

    def check(self, directory: Directory) -> None:
        """Every bound account, tenant and user exists in the hub's directory. Whether the user may trade them is
        the policy's to say at logon and at each order, since a broker's grant or a lock changes it while the hub
        runs."""
        problems = [f"{binding.comp_id}: unknown account {account}"
                    for binding in self.clients.values() for account in sorted(binding.accounts)
                    if account not in directory.accounts]
        problems += [f"{binding.comp_id}: unknown tenant {binding.tenant_id}"
                     for binding in self.drop_copies.values() if binding.tenant_id not in directory.tenants]
        users = {binding.comp_id: binding.user for binding in self.clients.values()}
        users.update({binding.comp_id: binding.user for binding in self.drop_copies.values()})
        problems += [f"{comp_id}: unknown user {user}" for comp_id, user in users.items()
                     if user is not None and user not in directory.users]
        if problems:
            raise BindingError("; ".join(problems))


def parse_bindings(table: Mapping[str, Any], source: str = "<bindings>") -> Bindings:
    """Bindings from the ``[gateway]`` table (``order_entry`` and ``drop_copy`` sub-tables keyed by CompID)."""
    unknown = set(table) - {"order_entry", "drop_copy"}
    if unknown:
        raise BindingError(f"{source}: unknown [gateway] keys {sorted(unknown)} (use order_entry, drop_copy)")
    clients = {comp_id: _client(comp_id, entry, source)
               for comp_id, entry in _table(table, "order_entry", source).items()}
    copies = {comp_id: _drop_copy(comp_id, entry, source)
              for comp_id, entry in _table(table, "drop_copy", source).items()}
    both = set(clients) & set(copies)
    if both:
        raise BindingError(f"{source}: CompIDs {sorted(both)} are bound to both order entry and drop copy")
    return Bindings(clients, copies)


def load_bindings(path: str | Path) -> Bindings:
    """The ``[gateway]`` table of a TOML file."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BindingError(f"{path}: {error}") from None
    return parse_bindings(data.get("gateway", {}), source=str(path))


def _table(table: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise BindingError(f"{source}: gateway.{key} must be a table of CompIDs")
    return value


def _client(comp_id: str, entry: Any, source: str) -> ClientBinding:
    where = f"{source}: gateway.order_entry.{comp_id}"
    if not isinstance(entry, Mapping) or set(entry) - {"accounts", "default_account", "user", *_LOGON_KEYS}:
        raise BindingError(f"{where}: expected accounts = [...], password_hash, and optional default_account, "
                           f"user, username, sources")
    accounts = entry.get("accounts")
    if not isinstance(accounts, list) or not accounts or not all(isinstance(a, str) and a for a in accounts):
        raise BindingError(f"{where}: accounts must be a non-empty list of account ids")
    default = entry.get("default_account")
    if default is None:
        if len(accounts) != 1:
            raise BindingError(f"{where}: default_account is required with more than one account")
        default = accounts[0]
    if default not in accounts:
        raise BindingError(f"{where}: default_account {default} is not one of its accounts")
    return ClientBinding(comp_id, frozenset(accounts), default, _credentials(comp_id, entry, where),
                         _user(entry, where))


def _drop_copy(comp_id: str, entry: Any, source: str) -> DropCopyBinding:
    where = f"{source}: gateway.drop_copy.{comp_id}"
    if (not isinstance(entry, Mapping) or "tenant" not in entry
            or set(entry) - {"tenant", "catch_up", "user", *_LOGON_KEYS} or not isinstance(entry["tenant"], str)):
        raise BindingError(f"{where}: expected tenant = \"<tenant id>\", password_hash, and optional user, "
                           f"username, sources, catch_up")
    catch_up = entry.get("catch_up", "day")
    if catch_up not in CATCH_UP:
        raise BindingError(f"{where}: catch_up must be \"day\" or \"none\", got {catch_up!r}")
    return DropCopyBinding(comp_id, entry["tenant"], _credentials(comp_id, entry, where), catch_up,
                           _user(entry, where))


def _user(entry: Mapping[str, Any], where: str) -> str | None:
    user = entry.get("user")
    if user is not None and (not isinstance(user, str) or not user):
        raise BindingError(f"{where}: user must be a user id")
    return user


_LOGON_KEYS = ("password_hash", "username", "sources")


def _credentials(comp_id: str, entry: Mapping[str, Any], where: str) -> Credentials:
    password_hash = entry.get("password_hash")
    if not isinstance(password_hash, str) or not password_hash.startswith("scrypt$") or password_hash.count("$") != 2:
        raise BindingError(f"{where}: password_hash must be a scrypt hash (make one with python -m gateway.logon_check)")
    username = entry.get("username", comp_id)
    if not isinstance(username, str) or not username:
        raise BindingError(f"{where}: username must be a non-empty string")
    sources = entry.get("sources", [])
    if not isinstance(sources, list):
        raise BindingError(f"{where}: sources must be a list of addresses or networks")
    try:
        networks = tuple(ipaddress.ip_network(source, strict=False) for source in sources)
    except (TypeError, ValueError) as error:
        raise BindingError(f"{where}: sources: {error}") from None
    return Credentials(username, password_hash, networks)


def check_drop_copy_session(config: SessionConfig) -> None:
    """A drop copy loses nothing across reconnects only if its sent messages survive in a store and are never
    thrown away by a sequence reset."""
    where = f"drop-copy session {config.session_id}"
    if not (config.file_store_path or config.sql_store_url) or not config.persist_messages:
        raise BindingError(f"{where}: needs FileStorePath or SQLStoreURL and PersistMessages=Y")
    if config.reset_on_logon or config.reset_on_logout or config.reset_on_disconnect:
        raise BindingError(f"{where}: ResetOnLogon/ResetOnLogout/ResetOnDisconnect would drop unsent executions")
