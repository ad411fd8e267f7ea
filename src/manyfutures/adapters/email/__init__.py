"""Email delivery adapters (the console sender for memory mode lives in ``memory.email``)."""
