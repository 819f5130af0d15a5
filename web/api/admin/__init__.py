"""The back office's REST API under /api/admin/: one module per resource, each with its routes and its part of
the OpenAPI document. Every handler acts as the logged-in caller, through ``backoffice`` (which checks the policy
and writes the audit record)."""
