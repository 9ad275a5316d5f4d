"""What happens to a model after training: pipelines, registry, serving, monitoring.

Shared contracts every lifecycle part uses, so the three parts agree:

- `lifecycle.registry`: MLflow model registry refs (`name`, `name:alias`,
  `name:version`) and the aliases `candidate` and `production`.
- `lifecycle.audit`: the append-only, hash-chained audit log of every
  registration, promotion, rollback and deployment.
- `lifecycle.capture`: the one request/response capture record format
  (SageMaker data-capture JSON lines), written by every server, read by
  monitoring.
"""
