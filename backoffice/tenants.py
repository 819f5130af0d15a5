"""White-label tenants: create one (the platform's super admin, or the admin of the tenant's region), change its
brand and defaults (its broker too, not its region). A tenant's brand is what its traders see, so what a browser
will load from it (the logo, the colours) is checked here, before it is stored: a logo is an https URL or a path
on the platform, never ``javascript:``; a colour is ``#rrggbb``; the host name or path its traders come in by is
unique across tenants. A new tenant comes with one group, ``<tenant>-standard`` at the tenant's default leverage,
so its first accounts can be opened and priced at once; the broker adds its own groups."""
from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import structlog

from backoffice.office import BackOffice, Conflict, Invalid, NotFound, Refused
from engine.domain.policy import PLATFORM, Action, Scope, Target
from engine.domain.tenancy import PLATFORM_TENANT, Brand, Group, Tenant, TenantDefaults, User

log = structlog.get_logger("backoffice.tenants")

# The terminal's catalogues (web/terminal/static/i18n/); a test checks the two agree.
LANGUAGES = ("en", "ar", "zh-CN", "hi", "es")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
REGION = re.compile(r"^[a-z0-9-]{0,32}$")
HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
PATH = re.compile(r"^/t/[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SYMBOL_PATTERN = re.compile(r"^[A-Za-z0-9*?./_-]{1,32}$")
MAX_LEVERAGE = Decimal(1000)
MAX_NAME = 128


def default_group(tenant: Tenant) -> Group:
    return Group(f"{tenant.tenant_id}-standard", tenant.tenant_id, max_leverage=tenant.defaults.leverage)


def tenant_json(tenant: Tenant) -> dict[str, Any]:
    brand, defaults = tenant.brand, tenant.defaults
    return {"tenant_id": tenant.tenant_id, "name": tenant.name, "region": tenant.region,
            "brand": dataclasses.asdict(brand),
            "defaults": {"leverage": str(defaults.leverage),
                         "margin_call": _text(defaults.margin_call), "stop_out": _text(defaults.stop_out),
                         "orders_per_second": defaults.orders_per_second,
                         "allowed_instruments": list(defaults.allowed_instruments)}}


def require_any(office: BackOffice, actor: User, action: Action) -> None:
    """Refuse at once a caller whose role may not do ``action`` anywhere (or who is locked), before its request is
    read: what it asked for does not matter."""
    if actor.locked or office.policy.scope(actor, action) is Scope.NONE:
        office.require(actor, action, PLATFORM)   # raises, with the policy's reason


class Tenants:
    def __init__(self, office: BackOffice) -> None:
        self.office = office

    def visible(self, actor: User) -> list[Tenant]:
        """The tenants the caller may read, by id."""
        require_any(self.office, actor, Action.TENANTS_READ)
        reach = self.office.policy.tenants(actor, Action.TENANTS_READ)
        return [tenant for tenant_id, tenant in sorted(self.office.directory.tenants.items()) if tenant_id in reach]

    def get(self, actor: User, tenant_id: str) -> Tenant:
        tenant = self.office.directory.tenants.get(tenant_id)
        self.office.require(actor, Action.TENANTS_READ, Target(tenant_id))
        if tenant is None:   # only the platform's people reach a tenant that does not exist
            raise NotFound("unknown_tenant", f"there is no tenant {tenant_id}")
        return tenant

    def create(self, actor: User, tenant: Tenant) -> Tenant:
        """A new tenant and its default group; an admin creates tenants in its own region only."""
        target = Target(tenant.tenant_id, region=tenant.region)
        self.office.require(actor, Action.TENANTS_MANAGE, target)   # before saying whether the id is taken
        if tenant.tenant_id in self.office.directory.tenants or tenant.tenant_id == PLATFORM_TENANT:
            raise Conflict("tenant_exists", f"tenant {tenant.tenant_id} exists already")
        self._check(tenant)
        group = default_group(tenant)
        if group.group_id in self.office.directory.groups:
            raise Conflict("group_exists", f"group {group.group_id} exists already: choose another tenant id")
        with self.office.change(actor, Action.TENANTS_MANAGE, target, "tenants", tenant.tenant_id,
                                "tenants.create") as change:
            self.office.store.save(tenant, group)
            change.after = {**tenant_json(tenant), "default_group": group.group_id}

            def apply() -> None:
                self.office.directory.add_tenant(tenant)
                self.office.directory.add_group(group)
                self.office.live.feed.add_audience(tenant.tenant_id, group.group_id)
                log.info("tenants.created", tenant=tenant.tenant_id, region=tenant.region, by=actor.user_id)
            change.on_commit(apply)
        return tenant

    def update(self, actor: User, tenant: Tenant) -> Tenant:
        """Replace a tenant's name, brand and defaults (and, for the platform's super admin, its region)."""
        before = self.get(actor, tenant.tenant_id)
        if tenant.region != before.region and self.office.policy.scope(actor, Action.TENANTS_MANAGE) \
                is not Scope.PLATFORM:
            raise Refused("forbidden", f"{actor.role.named} may not move a tenant to another region")
        self._check(tenant)
        if tenant == before:
            self.office.require(actor, Action.TENANTS_MANAGE, Target(tenant.tenant_id))
            return before   # nothing to change, nothing to record
        with self.office.change(actor, Action.TENANTS_MANAGE, Target(tenant.tenant_id), "tenants",
                                tenant.tenant_id, "tenants.update") as change:
            self.office.store.save(tenant)
            change.before, change.after = tenant_json(before), tenant_json(tenant)

            def apply() -> None:
                self.office.directory.add_tenant(tenant)
                log.info("tenants.updated", tenant=tenant.tenant_id, by=actor.user_id)
            change.on_commit(apply)
        return tenant

    def _check(self, tenant: Tenant) -> None:
        if not tenant.name.strip() or len(tenant.name) > MAX_NAME:
            raise Invalid("bad_name", f"a tenant's name is 1 to {MAX_NAME} characters")
        if not REGION.match(tenant.region):
            raise Invalid("bad_region", "a region is up to 32 lowercase letters, digits or '-'")
        _check_brand(tenant.brand)
        _check_defaults(tenant.defaults)
        for other in self.office.directory.tenants.values():
            if other.tenant_id == tenant.tenant_id:
                continue
            if tenant.brand.domain and other.brand.domain == tenant.brand.domain:
                raise Conflict("domain_taken", f"{tenant.brand.domain} is another tenant's domain")
            if tenant.brand.path and other.brand.path == tenant.brand.path:
                raise Conflict("path_taken", f"{tenant.brand.path} is another tenant's path")


def _check_brand(brand: Brand) -> None:
    for name, colour in (("primary_colour", brand.primary_colour), ("accent_colour", brand.accent_colour)):
        if not COLOUR.match(colour):
            raise Invalid("bad_colour", f"{name} must be a hex colour #rrggbb, not {colour[:20]!r}")
    if brand.language not in LANGUAGES:
        raise Invalid("bad_language", f"language must be one of {', '.join(LANGUAGES)}")
    if brand.domain and not HOST.match(brand.domain):
        raise Invalid("bad_domain", "domain must be a lowercase host name such as trade.broker.com")
    if brand.path and not PATH.match(brand.path):
        raise Invalid("bad_path", "path must be /t/<name>: letters, digits, '.', '_' or '-'")
    if brand.logo_url and not _safe_logo(brand.logo_url):
        raise Invalid("bad_logo_url", "logo_url must be an https URL or a path on the platform starting with /")


def _safe_logo(url: str) -> bool:
    """https with a host, or a path on the platform ("/static/logo.png", never "//elsewhere"); nothing a browser
    would run, and nothing that breaks out of a CSS url() or an HTML attribute."""
    if len(url) > 2048 or any(c.isspace() or c in "\"'()<>\\`" or ord(c) < 0x20 for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//")


def _check_defaults(defaults: TenantDefaults) -> None:
    if not 1 <= defaults.leverage <= MAX_LEVERAGE:
        raise Invalid("bad_leverage", f"the default leverage is between 1 and {MAX_LEVERAGE}")
    for name, level in (("margin_call", defaults.margin_call), ("stop_out", defaults.stop_out)):
        if level is not None and not 0 < level <= 10_000:
            raise Invalid("bad_level", f"{name} is a margin level in percent, above 0 and at most 10000")
    if defaults.margin_call is not None and defaults.stop_out is not None \
            and defaults.stop_out >= defaults.margin_call:
        raise Invalid("bad_level", "stop_out must be below margin_call: the call warns before positions close")
    if defaults.orders_per_second is not None and not 0 <= defaults.orders_per_second <= 100_000:
        raise Invalid("bad_throttle", "orders_per_second is 0 (no throttle of the tenant's own) to 100000")
    for pattern in defaults.allowed_instruments:
        if not SYMBOL_PATTERN.match(pattern):
            raise Invalid("bad_instrument_pattern",
                          f"{pattern[:40]!r} is not a symbol pattern (letters, digits, / . _ - and * ? wildcards)")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
