"""PostgreSQL storage: typed table models, explicit mappers, RLS-scoped units of work.

The domain core never imports anything from here. Rows are SQLAlchemy table
models (``tables``); ``mappers`` turns them into the core's dataclasses and
back; ``unit_of_work`` runs each unit of work in one transaction scoped to one
organization by row-level security; ``scheduler_gateway`` is the one narrow
path that crosses organizations (see docs/adr/0002-cross-tenant-scheduler-path.md).
"""
