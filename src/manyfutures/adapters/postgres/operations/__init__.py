"""What ``manyfutures db …`` needs beyond migrating: status, tables, preview, lint.

Each module does one job against a live database, as its owner: ``status`` compares
the database with the migrations and the models, ``tables`` counts every table's rows
and ``preview`` shows the newest ones (across organizations only through the
operators' functions listed in ADR 0007), ``lint`` checks the live schema against
the project's rules from ``pg_catalog`` (the schema tests call the same checks), and
``cross_tenant`` reads ADR 0007's list of cross-tenant functions, which is the list.
"""
