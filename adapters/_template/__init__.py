"""A skeleton venue adapter: copy this package to ``adapters/<venue>/``, rename the Template names, fill in every
method that raises NotImplementedError, and register the type in adapters/registry.py (adapters/README.md).

A real adapter's docstring here names the public document it follows (the venue's API or FIX specification, with
its version or commit) and what of it the adapter leaves out.
"""
from adapters._template.config import TemplateConfig
from adapters._template.venue import TemplateVenue

__all__ = ["TemplateConfig", "TemplateVenue"]
