"""Settings of one connection to the venue: where, who, which account, timeouts and back-off. Secrets (passwords,
API keys, private keys) are fields with ``repr=False`` and come only from the environment: the hub's TOML refuses
them, and the registry builds the config with ``from_env`` before it lays the TOML table's fields over it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TemplateConfig:
    name: str = "template"                        # the venue's name in route rules and reports
    host: str = "127.0.0.1"
    port: int = 0
    api_key: str = field(default="", repr=False)  # a secret: never in a repr, a log or the TOML
    connect_timeout: float = 10.0                 # connect() gives up (VenueDown) after this many seconds
    quote_stale_after: float = 30.0               # quote() returns None for a quote older than this

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TemplateConfig:
        """Read ``TEMPLATE_<FIELD>`` for each field (``TEMPLATE_API_KEY``, ``TEMPLATE_PORT``, ...), converting to the
        field's type; what is unset keeps its default. A venue with two connections of one type reads them under
        another prefix (the TOML's ``env_prefix``), which the registry renames to this one."""
        raise NotImplementedError
