"""PostgreSQL storage: typed table models, explicit mappers, RLS-scoped units of work.

The domain core never imports anything from here. Each capability has one module
(``identity``, ``projects``, ``episodes``, ``scheduling``, ``generation``, ``costs``,
``feedback``, ``activity``, ``outbox``) holding its rows (SQLAlchemy table models on
``base.Base``), its prebuilt statements, the mappers between its rows and the core's
dataclasses, and its repositories. ``registry`` lists those modules (its
``METADATA`` is the whole schema) and names the repository of every store;
``unit_of_work``, which knows no entity, builds them on first use and runs each unit
of work in one transaction scoped to one organization by row-level security.
``scheduler_gateway`` and the ``outbox`` module's gateway are the narrow paths that
cross organizations, only through the functions listed in
docs/adr/0007-cross-tenant-functions.md. ``operations`` is what ``manyfutures db``
shows and checks (ADR 0013). docs/adding-an-entity.md lists what a new entity needs
here.
"""
