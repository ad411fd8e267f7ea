"""Conversations with the assistant: onboarding a new project, and chat about a project or
an episode. Replies are produced by a job, never on the request's thread (ADR 0017)."""
