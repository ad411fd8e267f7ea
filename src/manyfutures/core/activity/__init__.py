"""Activity: tracked events, the audit trail and notifications."""
