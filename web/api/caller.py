"""Who is calling, as the doors of the web app see them: the user, its own accounts, and how it came in."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from engine.domain.tenancy import Account, User
from web.api.errors import ApiError


@dataclass(frozen=True, slots=True)
class Caller:
    user: User
    accounts: tuple[Account, ...]
    via: str   # "session" or "api_key"

    def account(self, account_id: str) -> Account:
        for account in self.accounts:
            if account.account_id == account_id:
                return account
        raise ApiError(403, "forbidden", f"account {account_id} is not yours")


CALLER = web.RequestKey("caller", Caller)
