"""n8n: the generator that writes episodes (webhook out) and reports back (callbacks in)."""
