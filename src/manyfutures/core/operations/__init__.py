"""What admins and operators watch: the queue, runs in flight, failed episodes, the outbox."""
