"""Highlights: stored, listed per episode in id order, deleted, and scoped to their
organization like every tenant row."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.core.episodes.episode import Block
from manyfutures.core.feedback.highlight import Highlight
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support.builders import T0


def with_block(storage: Storage, org: str = "org_a") -> None:
    seed(storage, org)
    with storage.uow(org) as uow:
        uow.blocks.add(
            Block(
                id=f"blk_{org}",
                episode_id=f"ep_{org}",
                organization_id=org,
                content="Grid storage is scaling",
                created_at=T0,
                updated_at=T0,
            )
        )
        uow.commit()


def highlight(highlight_id: str, org: str = "org_a", user: str = "user_a") -> Highlight:
    return Highlight(
        id=highlight_id,
        organization_id=org,
        user_id=user,
        episode_id=f"ep_{org}",
        block_id=f"blk_{org}",
        start_offset=0,
        end_offset=4,
        text="Grid",
        note="why",
        created_at=T0 + timedelta(seconds=int(highlight_id[-1])),
    )


def test_highlights_are_stored_listed_and_deleted(storage: Storage) -> None:
    with_block(storage)
    with storage.uow("org_a") as uow:
        uow.highlights.add(highlight("hl_2", user="user_m"))
        uow.highlights.add(highlight("hl_1"))
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.highlights.get("hl_1") == highlight("hl_1")
        assert [h.id for h in uow.highlights.list_for_episode("ep_org_a")] == ["hl_1", "hl_2"]
        uow.highlights.delete(highlight("hl_1"))
        assert [h.id for h in uow.highlights.list_for_episode("ep_org_a")] == ["hl_2"]
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.highlights.get("hl_1") is None
        assert [h.id for h in uow.highlights.list_for_episode("ep_org_a")] == ["hl_2"]


def test_a_delete_is_kept_only_with_commit(storage: Storage) -> None:
    with_block(storage)
    with storage.uow("org_a") as uow:
        uow.highlights.add(highlight("hl_1"))
        uow.commit()
    with storage.uow("org_a") as uow:
        uow.highlights.delete(highlight("hl_1"))
    with storage.uow("org_a") as uow:
        assert uow.highlights.get("hl_1") == highlight("hl_1")


def test_another_organizations_highlights_are_invisible_and_undeletable(
    storage: Storage,
) -> None:
    with_block(storage, "org_a")
    with_block(storage, "org_b")
    with storage.uow("org_b") as uow:
        uow.highlights.add(highlight("hl_1", "org_b", "user_b"))
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.highlights.get("hl_1") is None
        assert list(uow.highlights.list_for_episode("ep_org_b")) == []
        uow.highlights.delete(highlight("hl_1", "org_b", "user_b"))
        uow.commit()
    with storage.uow("org_b") as uow:
        assert uow.highlights.get("hl_1") == highlight("hl_1", "org_b", "user_b")
