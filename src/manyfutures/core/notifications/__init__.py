"""Notifications: what a reader is told (in the app, by email) and what they chose to hear."""
