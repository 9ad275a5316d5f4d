"""Serving a registered model: the serving spec, the local server, deploy requests per target,
canary steps with automatic rollback."""
