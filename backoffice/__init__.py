"""The back office: every change a broker, an admin or the platform makes to tenants, users, groups, terms,
instruments and routes, checked against the one policy, written with its audit record in one transaction, and
applied to the running hub once it is committed. The doors (the admin REST API, the panel) call it; it knows
nothing of HTTP."""
