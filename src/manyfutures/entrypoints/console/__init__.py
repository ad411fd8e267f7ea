"""The console: server-rendered pages on the same use cases as the API."""
