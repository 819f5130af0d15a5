"""The client FIX doors' logon check: Username(553) and Password(554) against the binding's scrypt hash, the
source address against its networks, and back-off after failures (``engine.login_guard``), as venues check ours.

The hash runs on a thread, one at a time, and failures lock the CompID from that address and the address, by the
policy the web login shares (``LoginGuard.attempt``): a flood of wrong passwords holds no other session's messages
on the event loop, and is refused before any hash once locked. Every refusal is one ``gateway.logon_refused`` event and a Logout whose Text says
what to fix, never which of username or password was wrong.

A binding that names the ``user`` it acts for is also asked of the one policy (``UserCheck``): at logon (a locked
user, or one no longer allowed, gets a Logout whose Text is the policy's reason) and at each order.

    python -m gateway.logon_check      # prompts for a password, prints the password_hash for the hub's TOML
"""
from __future__ import annotations

import getpass

import structlog

from engine.domain.policy import Action, Policy, Target
from engine.domain.rejects import Rejection
from engine.domain.tenancy import Directory
from engine.login_guard import Locked, LoginGuard
from engine.storage.access import check_password, hash_password
from fix_sessions.application import RejectLogon
from fix_sessions.codec import Message
from gateway.config import Credentials

log = structlog.get_logger("gateway.logon_check")

USERNAME, PASSWORD = 553, 554


class LogonCheck:
    def __init__(self, guard: LoginGuard) -> None:
        self.guard = guard
        self.refused = 0   # failed logons since start, for health and the benchmark

    async def check(self, credentials: Credentials, message: Message, comp_id: str, peer: str) -> None:
        """Raise ``RejectLogon`` unless this Logon from ``peer`` may log on as ``comp_id``."""
        if not credentials.allows(peer):
            self._refuse(comp_id, peer, "source address not allowed")
            raise RejectLogon("logon refused: this session may not connect from this address")
        username = message.get_str(USERNAME) or ""
        password = message.get_str(PASSWORD) or ""

        def good() -> bool | None:   # None is a failure, as LoginGuard.attempt counts them
            right = check_password(password, credentials.password_hash) and username == credentials.username
            return True if right else None
        try:
            if await self.guard.attempt(f"fix:{comp_id}", peer, good):
                return
        except Locked as locked:
            self._refuse(comp_id, peer, "locked after failed logons")
            raise RejectLogon(f"logon refused: too many failed logons, try again in {locked.seconds:.0f} s") from None
        self._refuse(comp_id, peer, "wrong username or password" if password else "no Password(554)")
        raise RejectLogon("logon refused: wrong Username(553) or Password(554)")

    def _refuse(self, comp_id: str, peer: str, reason: str) -> None:
        self.refused += 1
        log.warning("gateway.logon_refused", comp_id=comp_id, peer=peer, reason=reason, refused=self.refused)


class UserCheck:
    """The policy asked for the user a binding acts for, as the directory holds it now (a lock or a broker's grant
    applies at the next logon and the next order)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.policy = Policy(directory)

    def account(self, user_id: str, action: Action, account_id: str) -> Rejection | None:
        user = self.directory.users.get(user_id)
        return self.policy.account(user, action, account_id) if user is not None else _gone(user_id)

    def tenant(self, user_id: str, action: Action, tenant_id: str) -> Rejection | None:
        user = self.directory.users.get(user_id)
        return self.policy.check(user, action, Target(tenant_id)) if user is not None else _gone(user_id)

    @staticmethod
    def logon(refusal: Rejection | None, comp_id: str, user_id: str) -> None:
        """Raise ``RejectLogon`` with the policy's reason when it refused the session's user."""
        if refusal is None:
            return
        log.warning("gateway.logon_refused", comp_id=comp_id, user=user_id, reason=refusal.reason, code=refusal.code)
        raise RejectLogon(f"logon refused: {refusal.reason}")


def _gone(user_id: str) -> Rejection:
    return Rejection("forbidden", f"user {user_id} is not in the directory")


def main() -> None:
    password = getpass.getpass("FIX session password: ")
    if password != getpass.getpass("again: "):
        raise SystemExit("the two passwords differ")
    print(hash_password(password))


if __name__ == "__main__":
    main()
