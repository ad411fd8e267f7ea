"""Adapters: the outside world (Postgres, Redis/RQ, n8n, Clerk, SMTP) behind the core's ports."""
