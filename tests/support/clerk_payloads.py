"""Clerk webhook payloads as Clerk sends them, for the adapter and the HTTP tests alike."""

from __future__ import annotations

from typing import Any


def user_data(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "user_ada",
        "object": "user",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": "ada",
        "primary_email_address_id": "idn_2",
        "email_addresses": [
            {"id": "idn_1", "email_address": "old@example.org"},
            {"id": "idn_2", "email_address": "ada@example.org", "verification": None},
        ],
        "public_metadata": {"timezone": "Europe/Rome"},
        "image_url": "https://img.example/ada.png",
        **overrides,
    }


def membership_data(role: str = "org:admin", **person: Any) -> dict[str, Any]:
    return {
        "id": "orgmem_1",
        "object": "organization_membership",
        "role": role,
        "organization": {"id": "org_acme", "name": "Acme", "slug": "acme"},
        "public_user_data": {
            "user_id": "user_ada",
            "identifier": "ada@example.org",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "image_url": "https://img.example/ada.png",
            **person,
        },
    }


def event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The envelope Clerk posts: the event type and the object it is about."""
    return {"type": kind, "object": "event", "data": data}
