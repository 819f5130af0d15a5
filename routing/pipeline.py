"""The routing pipeline: interceptors see an order before routing, a fill after, and a quote on its way out.

Each interceptor is a small class with one method per direction (the defaults pass everything through). Before
routing it may change the order's venue-side terms or refuse with a ``Rejection`` (a code and a sentence the
client sees). The order of interceptors is configuration, per tenant, and per group where the broker set one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from engine.domain.rejects import Rejection
from engine.ports import ClientQuote, FillContext, Interceptor, OrderContext


@dataclass
class Pipeline:
    interceptors: list[Interceptor] = field(default_factory=list)

    def before_route(self, context: OrderContext) -> Rejection | None:
        for interceptor in self.interceptors:
            rejection = interceptor.before_route(context)
            if rejection is not None:
                return rejection
        return None

    def after_fill(self, fill: FillContext) -> None:
        for interceptor in self.interceptors:
            interceptor.after_fill(fill)

    def on_quote(self, quote: ClientQuote) -> ClientQuote:
        for interceptor in self.interceptors:
            if type(interceptor).on_quote is not Interceptor.on_quote:  # most pass prices through untouched
                quote = interceptor.on_quote(quote)
        return quote


class Pipelines:
    """Each tenant's pipeline, built by name from shared interceptors in the order its configuration gives; a
    group the broker gave an order of its own (``group_order``, read at each call: a change applies to the next
    order and quote) runs that one."""

    def __init__(self, interceptors: Iterable[Interceptor], order: Mapping[str, list[str]],
                 default: list[str], group_order: Callable[[str], Sequence[str]] = lambda group_id: ()) -> None:
        self._by_name = {interceptor.name: interceptor for interceptor in interceptors}
        self._default = self._build(default)
        self._pipelines = {tenant: self._build(names) for tenant, names in order.items()}
        self.group_order = group_order
        self._by_order: dict[tuple[str, ...], Pipeline] = {}

    def _build(self, names: list[str]) -> Pipeline:
        unknown = [name for name in names if name not in self._by_name]
        if unknown:
            raise ValueError(f"unknown interceptors in the pipeline configuration: {unknown}")
        return Pipeline([self._by_name[name] for name in names])

    def names(self) -> frozenset[str]:
        """The interceptors this hub has, which a pipeline order may name."""
        return frozenset(self._by_name)

    def for_tenant(self, tenant_id: str) -> Pipeline:
        return self._pipelines.get(tenant_id, self._default)

    def for_group(self, tenant_id: str, group_id: str) -> Pipeline:
        names = tuple(self.group_order(group_id))
        if not names:
            return self.for_tenant(tenant_id)
        pipeline = self._by_order.get(names)
        if pipeline is None:
            pipeline = self._by_order[names] = self._build(list(names))
        return pipeline
