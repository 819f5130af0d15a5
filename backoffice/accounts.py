"""Trading accounts as the broker opens and changes them, and the broker's deposits.

An account opened here is in the live directory once committed, so its user sees it at the next request. A deposit
is one ledger transfer from the tenant's bank account to the account's wallet, under the caller's idempotency key:
the deposit's audit record (written in the change's transaction) is what the key is checked against, so a retried
request books nothing more and gets the first answer, and a different request under a used key is refused. The
ledger entry's reference is the tenant and the key, so it is booked once even if a retry has to book it (the hub
stopped between the audit record and the booking)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import structlog

from backoffice.office import BackOffice, Conflict, Invalid, NotFound, Refused
from backoffice.tenants import require_any
from engine.domain.policy import Action, Scope, Target
from engine.domain.tenancy import Account, Group, PositionMode, User
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.oms import OMS

log = structlog.get_logger("backoffice.accounts")

CURRENCY = re.compile(r"^[A-Z][A-Z0-9]{2,7}$")
MAX_DEPOSIT = Decimal(10) ** 12


def account_json(account: Account, balance: Decimal) -> dict[str, Any]:
    return {"account_id": account.account_id, "tenant_id": account.tenant_id, "user_id": account.user_id,
            "group_id": account.group_id, "base_currency": account.base_currency, "leverage": str(account.leverage),
            "position_mode": account.position_mode.value, "balance": str(balance)}


def bank(tenant_id: str) -> LedgerAccount:
    """Where a tenant's deposits come from: the broker's own bank account, in its books."""
    return LedgerAccount(tenant_id, "bank")


class Accounts:
    def __init__(self, office: BackOffice) -> None:
        self.office = office

    def books(self) -> OMS:
        """The running hub's OMS: its ledger, its group commit, its balance events."""
        return self.office.live.oms

    def balance(self, account: Account) -> Decimal:
        return self.books().accounting.ledger.balance(wallet(account.account_id), account.base_currency)

    def visible(self, actor: User) -> list[Account]:
        """Every account the caller may read, by id."""
        require_any(self.office, actor, Action.ACCOUNTS_READ)
        policy = self.office.policy
        return [account for _, account in sorted(self.office.directory.accounts.items())
                if policy.allows(actor, Action.ACCOUNTS_READ, Target(account.tenant_id, account.user_id))]

    def get(self, actor: User, account_id: str, action: Action = Action.ACCOUNTS_READ) -> Account:
        """The account, when the caller may do ``action`` on it; an unknown id is a 404 only to the platform's
        super admin, a 403 to everyone else (nobody learns another tenant's ids)."""
        account = self.office.directory.accounts.get(account_id)
        if account is None:
            if self.office.policy.scope(actor, action) is not Scope.PLATFORM:
                raise Refused("forbidden", f"account {account_id} is outside what {actor.role.named} "
                                           f"{actor.user_id} may reach")
            raise NotFound("unknown_account", f"there is no account {account_id}")
        self.office.require(actor, action, Target(account.tenant_id, account.user_id))
        return account

    def create(self, actor: User, account_id: str, user_id: str, group_id: str, base_currency: str,
               leverage: Decimal | None, position_mode: PositionMode) -> Account:
        """Open an account for a user of a tenant; its leverage defaults to the tenant's default, within the
        group's cap."""
        directory = self.office.directory
        user = directory.users.get(user_id)
        if user is None:
            if self.office.policy.scope(actor, Action.ACCOUNTS_MANAGE) is not Scope.PLATFORM:
                raise Refused("forbidden", f"user {user_id} is outside what {actor.role.named} may manage")
            raise Invalid("unknown_user", f"there is no user {user_id}")
        self.office.require(actor, Action.ACCOUNTS_MANAGE, Target(user.tenant_id, user.user_id))
        tenant = directory.tenants.get(user.tenant_id)
        if tenant is None:
            raise Invalid("platform_user", f"{user_id} is one of the platform's people: accounts belong to a "
                                           "broker's users")
        if account_id in directory.accounts:
            raise Conflict("account_exists", f"account id {account_id} is taken: account ids are unique across "
                                             "tenants")
        group = self._group(group_id, tenant.tenant_id)
        if not CURRENCY.match(base_currency):
            raise Invalid("bad_currency", "base_currency is a currency code such as USD, EUR or USDT")
        chosen = leverage if leverage is not None else min(tenant.defaults.leverage, group.max_leverage)
        account = Account(account_id, tenant.tenant_id, user_id, group_id, base_currency, chosen, position_mode)
        self._check_leverage(account)
        with self.office.change(actor, Action.ACCOUNTS_MANAGE, Target(tenant.tenant_id, user_id), "accounts",
                                account_id, "accounts.create") as change:
            self.office.store.save(account)
            change.after = account_json(account, Decimal(0))

            def apply() -> None:
                directory.add_account(account)
                log.info("accounts.opened", account=account_id, tenant=tenant.tenant_id, user=user_id,
                         group=group_id, by=actor.user_id)
            change.on_commit(apply)
        return account

    def update(self, actor: User, account_id: str, group_id: str | None, leverage: Decimal | None) -> Account:
        """Move an account to another group of its tenant, or change its leverage (within the group's cap)."""
        before = self.get(actor, account_id, Action.ACCOUNTS_MANAGE)
        group = self._group(group_id or before.group_id, before.tenant_id)
        account = Account(before.account_id, before.tenant_id, before.user_id, group.group_id,
                          before.base_currency, before.leverage if leverage is None else leverage,
                          before.position_mode)
        self._check_leverage(account)
        if account == before:
            return before   # nothing to change, nothing to record
        balance = self.balance(before)
        with self.office.change(actor, Action.ACCOUNTS_MANAGE, Target(before.tenant_id, before.user_id),
                                "accounts", account_id, "accounts.update") as change:
            self.office.store.save(account)
            change.before, change.after = account_json(before, balance), account_json(account, balance)

            def apply() -> None:
                self.office.directory.add_account(account)
                log.info("accounts.changed", account=account_id, group=account.group_id,
                         leverage=str(account.leverage), by=actor.user_id)
            change.on_commit(apply)
        return account

    async def deposit(self, actor: User, account_id: str, key: str, amount: Decimal, currency: str,
                      reference: str) -> dict[str, Any]:
        """Book a deposit once per (tenant, ``key``) and answer what was booked; the same request again answers
        the same, a different one under the key is a ``Conflict``."""
        account = self.get(actor, account_id, Action.ACCOUNTS_MANAGE)
        if not 0 < amount <= MAX_DEPOSIT:
            raise Invalid("bad_amount", f"a deposit is above 0 and at most {MAX_DEPOSIT}")
        if currency != account.base_currency:
            raise Invalid("bad_currency", f"account {account_id} is kept in {account.base_currency}: deposit in "
                                          f"{account.base_currency}")
        request = {"account_id": account_id, "amount": str(amount), "currency": currency, "reference": reference}
        earlier = self.office.audit.query(frozenset({account.tenant_id}), "deposits", key, limit=1)
        if earlier:
            answer: dict[str, Any] = earlier[0].after
            if {name: answer.get(name) for name in request} != request:
                raise Conflict("idempotency_key_reused", f"Idempotency-Key {key} was used for another deposit; "
                                                         "use a new key for a new deposit")
            self._book(account, key, amount)   # books nothing if it is booked: the usual case
            await self.books().transactions.durable()
            return answer
        answer = {"deposit_id": key, **request, "entry_reference": _entry_reference(account.tenant_id, key),
                  "at": self.office.clock().isoformat(), "by": actor.user_id}
        with self.office.change(actor, Action.ACCOUNTS_MANAGE, Target(account.tenant_id, account.user_id),
                                "deposits", key, "accounts.deposit") as change:
            change.after = answer
            change.on_commit(lambda: self._book(account, key, amount))
        await self.books().transactions.durable()   # the entry is on disk before the broker is told
        return answer

    def _book(self, account: Account, key: str, amount: Decimal) -> None:
        oms = self.books()
        reference = _entry_reference(account.tenant_id, key)
        if oms.accounting.ledger.booked(EntryKind.DEPOSIT, reference):
            return
        with oms.transactions.transaction():
            oms.accounting.ledger.transfer(EntryKind.DEPOSIT, reference, bank(account.tenant_id),
                                           wallet(account.account_id), account.base_currency, amount)
            oms.accounting.publish_balances(account.tenant_id, account.account_id)
        log.info("accounts.deposited", account=account.account_id, amount=str(amount),
                 currency=account.base_currency, reference=reference)

    def _group(self, group_id: str, tenant_id: str) -> Group:
        group = self.office.directory.groups.get(group_id)
        if group is None or group.tenant_id != tenant_id:
            raise Invalid("unknown_group", f"tenant {tenant_id} has no group {group_id}")
        return group

    def _check_leverage(self, account: Account) -> None:
        group = self.office.directory.groups[account.group_id]
        if not 1 <= account.leverage <= group.max_leverage:
            raise Invalid("bad_leverage", f"leverage is between 1 and group {group.group_id}'s cap "
                                          f"{group.max_leverage}")


def _entry_reference(tenant_id: str, key: str) -> str:
    return f"deposit:{tenant_id}:{key}"
