"""Feedback: what readers tell us to steer the next episode (planning notes, memories)."""
