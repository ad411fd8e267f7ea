"""Clerk: session JWT verification and webhook signature verification."""
