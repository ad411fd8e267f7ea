"""PostgreSQL storage: typed table models, explicit mappers, RLS-scoped units of work.

The domain core never imports anything from here. Each capability keeps its rows
(SQLAlchemy table models on ``base.Base``), its prebuilt statements and the mappers
between its rows and the core's dataclasses in its own module (``identity``,
``projects``, …), and ``registry`` lists those modules, so its ``METADATA`` is the
whole schema. ``unit_of_work`` runs each unit of work in one transaction scoped to
one organization by row-level security; ``scheduler_gateway`` is the one narrow path
that crosses organizations (see docs/adr/0002-cross-tenant-scheduler-path.md).
"""
