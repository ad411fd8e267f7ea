"""Activity: tracked events, the audit trail and notifications, written in the transaction they describe."""
