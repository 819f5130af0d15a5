"""The one permission table, over generated tenant trees: who may read and trade on which account is what the brief
says of each role (written out here independently of the table, by walking the IB chain upwards), a refusal never
names another tenant's things, and an unknown account is refused as another tenant's is."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.policy import PLATFORM, Action, Policy
from engine.domain.tenancy import PLATFORM_TENANT, Account, Directory, Group, Role, Tenant, User

REGIONS = ("emea", "apac", "")
CHAIN = (Role.MASTER_IB, Role.IB, Role.SUB_IB)   # an IB chain of depth n is the first n, each under the one before


@st.composite
def trees(draw: st.DrawFn, prefix: str = "", tenants: int = 3, chains: int = 2, traders: int = 3) -> Directory:
    """Up to ``tenants`` tenants in regions, platform admins, and per tenant a broker, up to ``chains`` IB chains
    of depth 0-3 (some granted trading on their clients, some with accounts of their own), up to ``traders``
    traders under any of them; some users locked. Ids are of one width (``t01``, ``u007``) so that no id is part of
    another."""
    directory = Directory()
    numbers = iter(range(1000))

    def user_id() -> str:
        return f"{prefix}u{next(numbers):03d}"

    def account(user: User, group: str) -> None:
        directory.add_account(Account(f"{prefix}a{next(numbers):03d}", user.tenant_id, user.user_id, group))

    locked = st.sampled_from((False,) * 5 + (True,))   # one in six
    for _ in range(draw(st.integers(0, 1))):
        directory.add_user(User(user_id(), PLATFORM_TENANT, Role.SUPER_ADMIN, locked=draw(locked)))
    for _ in range(draw(st.integers(0, 2))):
        directory.add_user(User(user_id(), PLATFORM_TENANT, Role.ADMIN, region=draw(st.sampled_from(REGIONS)),
                                locked=draw(locked)))
    for number in range(draw(st.integers(1, tenants))):
        tenant = directory.add_tenant(Tenant(f"{prefix}t{number:02d}", f"Broker {number}",
                                             region=draw(st.sampled_from(REGIONS)))).tenant_id
        group = directory.add_group(Group(f"{prefix}g{number:02d}", tenant)).group_id
        broker = directory.add_user(User(user_id(), tenant, Role.BROKER, locked=draw(locked)))
        referrers = [broker]
        for _ in range(draw(st.integers(0, chains))):
            above = broker
            for role in CHAIN[:draw(st.integers(0, 3))]:
                above = directory.add_user(User(user_id(), tenant, role, referrer_id=above.user_id,
                                                trade_clients=draw(st.booleans()), locked=draw(locked)))
                referrers.append(above)
                if draw(st.booleans()):
                    account(above, group)
        for _ in range(draw(st.integers(1, traders))):
            trader = directory.add_user(User(user_id(), tenant, Role.END_USER, locked=draw(locked),
                                             referrer_id=draw(st.sampled_from(referrers)).user_id))
            for _ in range(draw(st.integers(0, 2))):
                account(trader, group)
    return directory


def may(directory: Directory, user: User, action: Action, account: Account) -> bool:
    """What the brief says, role by role."""
    if user.locked:
        return False
    tenant = directory.tenants[account.tenant_id]
    owner = account.user_id
    above = {u.user_id for u in directory.upline(owner)}
    if user.role is Role.SUPER_ADMIN:
        return True
    if user.role is Role.ADMIN:
        return bool(user.region) and tenant.region == user.region
    if user.role is Role.BROKER:
        return account.tenant_id == user.tenant_id
    if user.role is Role.END_USER:
        return owner == user.user_id
    clients = user.user_id in above   # an IB: its own, and its subtree's to read; to trade only with the grant
    return owner == user.user_id or (clients and (action is Action.ACCOUNTS_READ or user.trade_clients))


ACTIONS = (Action.ACCOUNTS_READ, Action.ACCOUNTS_TRADE)


@settings(max_examples=300, deadline=None)
@given(trees())
def test_every_caller_reads_and_trades_exactly_what_its_role_reaches(directory: Directory) -> None:
    policy = Policy(directory)
    for user in directory.users.values():
        for action in ACTIONS:
            reached = policy.accounts(user, action)
            assert [a.account_id for a in reached] == sorted(
                a.account_id for a in directory.accounts.values() if may(directory, user, action, a)), \
                (user, action)
            for account in directory.accounts.values():
                refusal = policy.account(user, action, account.account_id)
                assert (refusal is None) == may(directory, user, action, account), (user, action, account)
                if refusal is not None:
                    assert refusal.code == ("user_locked" if user.locked else "forbidden")
        readable = {a.account_id for a in policy.accounts(user, Action.ACCOUNTS_READ)}
        assert {a.account_id for a in policy.accounts(user, Action.ACCOUNTS_TRADE)} <= readable, \
            "whoever may trade on an account may read it"
        assert {directory.accounts[a].tenant_id for a in readable} <= policy.tenants(user, Action.ACCOUNTS_READ)


@settings(max_examples=300, deadline=None)
@given(trees())
def test_a_refusal_names_the_account_only_and_an_unknown_one_is_refused_alike(directory: Directory) -> None:
    policy = Policy(directory)
    for user in directory.users.values():
        for action in ACTIONS:
            unknown = policy.account(user, action, "zz999")
            assert unknown is not None
            for account in directory.accounts.values():
                refusal = policy.account(user, action, account.account_id)
                if refusal is None or user.locked:
                    continue
                assert account.tenant_id not in refusal.reason and account.user_id not in refusal.reason, \
                    "a refusal does not say whose the account is"
                assert refusal == replace(unknown, reason=unknown.reason.replace("zz999", account.account_id)), \
                    "another tenant's account and an account that does not exist are refused alike"
            if user.role is Role.SUPER_ADMIN and not user.locked:
                assert unknown.code == "unknown_account"


@settings(max_examples=200, deadline=None)
@given(trees(), st.data())
def test_a_lock_refuses_everything_and_the_brokers_grant_lets_an_ib_trade_its_clients(
        directory: Directory, data: st.DataObject) -> None:
    ibs = [u for u in directory.users.values() if u.role in CHAIN and not u.locked]
    clients = [(ib, a) for ib in ibs for a in directory.accounts.values()
               if a.user_id != ib.user_id and a.user_id in directory.subtree(ib.user_id)]
    if clients:
        ib, account = data.draw(st.sampled_from(clients))
        for trade_clients in (False, True):
            directory.add_user(replace(ib, trade_clients=trade_clients))
            refusal = Policy(directory).account(directory.users[ib.user_id], Action.ACCOUNTS_TRADE,
                                                account.account_id)
            assert (refusal is None) == trade_clients
            assert Policy(directory).account(directory.users[ib.user_id], Action.ACCOUNTS_READ,
                                             account.account_id) is None, "an IB always reads its clients"
    user = data.draw(st.sampled_from(sorted(directory.users.values(), key=lambda u: u.user_id)))
    directory.add_user(replace(user, locked=True))
    policy = Policy(directory)
    for action in Action:
        for account in directory.accounts:
            refusal = policy.account(directory.users[user.user_id], action, account)
            assert refusal is not None and refusal.code == "user_locked"
        refusal = policy.check(directory.users[user.user_id], action, PLATFORM)
        assert refusal is not None and refusal.code == "user_locked"
