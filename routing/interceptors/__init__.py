"""The interceptors a pipeline is built from, one small class per concern."""
