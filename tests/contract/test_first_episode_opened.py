"""``first_episode_opened``: once per user and organization, on both adapters.

Postgres keeps it with a partial unique index; the memory fake re-enacts the index at
commit. The race through ``GetEpisode`` holds every opener after it has looked for the
event until all have looked, so each sees none and tries to record it: one wins, the
others are refused at commit and open again.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest

from manyfutures.adapters.ids import UlidGenerator
from manyfutures.core.activity.model import UserEvent
from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.generation.use_cases import EpisodeCommand, GetEpisode
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import DuplicateError
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support.builders import T0
from tests.support.fakes import ManualClock
from tests.support.wrapped import Wrapped

OPENERS = 4


def first_open(event_id: str, user: str, org: str = "org_a") -> UserEvent:
    return UserEvent(
        id=event_id,
        organization_id=org,
        user_id=user,
        event_type="first_episode_opened",
        event_data={"episodeId": f"ep_{org}"},
        created_at=T0,
    )


def test_a_second_first_open_for_a_user_is_refused_at_commit(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as early, storage.uow("org_a") as late:
        early.events.add(first_open("evt_1", "user_a"))
        late.events.add(first_open("evt_2", "user_a"))
        late.events.add(first_open("evt_3", "user_m"))  # another reader: allowed
        early.commit()
        with pytest.raises(DuplicateError):
            late.commit()
    with storage.uow("org_b") as uow:
        uow.events.add(first_open("evt_4", "user_a", "org_b"))  # another organization
        uow.commit()
    with storage.uow("org_a") as uow:
        assert [e.id for e in uow.events.list("first_episode_opened")] == ["evt_1"]
        assert uow.events.recorded_for_user("first_episode_opened", "user_a")
        assert not uow.events.recorded_for_user("first_episode_opened", "user_m")
        assert not uow.events.recorded_for_user("episode_opened", "user_a")


def test_two_first_opens_in_one_transaction_are_refused(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        uow.events.add(first_open("evt_1", "user_a"))
        uow.events.add(first_open("evt_2", "user_a"))
        with pytest.raises(DuplicateError):
            uow.commit()
    with storage.uow("org_a") as uow:
        assert list(uow.events.list()) == []


def test_other_events_repeat_freely(storage: Storage) -> None:
    seed(storage)
    for event_id in ("evt_1", "evt_2"):
        with storage.uow("org_a") as uow:
            uow.events.add(
                UserEvent(
                    id=event_id,
                    organization_id="org_a",
                    user_id="user_a",
                    event_type="episode_opened",
                    created_at=T0,
                )
            )
            uow.commit()
    with storage.uow("org_a") as uow:
        assert len(uow.events.list("episode_opened")) == 2


class _LookThenWait(Wrapped):
    """The events repository of one attempt: the openers' first looks are held until all
    have looked; a retry's look goes straight on."""

    def __init__(self, inner: Any, everyone: threading.Barrier) -> None:
        super().__init__(inner)
        self._everyone = everyone

    def recorded_for_user(self, event_type: str, user_id: str) -> bool:
        recorded = bool(self._inner.recorded_for_user(event_type, user_id))
        if not recorded:
            with contextlib.suppress(threading.BrokenBarrierError):
                self._everyone.wait(5)
        return recorded


def test_concurrent_opens_record_the_first_open_once(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        episode = uow.episodes.get("ep_org_a")
        assert episode is not None
        episode.status = EpisodeStatus.PUBLISHED
        uow.episodes.update(episode)
        uow.commit()
    everyone = threading.Barrier(OPENERS)

    def racing(org: str) -> Any:
        uow = storage.uow(org)
        uow.events = _LookThenWait(uow.events, everyone)  # type: ignore[misc]
        return uow

    get_episode = GetEpisode(racing, ManualClock(T0), UlidGenerator())
    reader = Actor("user_a", "org_a", Role.MEMBER)
    opened: list[str] = []

    def open_episode() -> None:
        opened.append(get_episode(EpisodeCommand(reader, "ep_org_a")).episode.id)

    threads = [threading.Thread(target=open_episode) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert opened == ["ep_org_a"] * OPENERS
    assert not everyone.broken  # all looked before any recorded: the race was run
    with storage.uow("org_a") as uow:
        assert len(uow.events.list("episode_opened")) == OPENERS
        (first,) = uow.events.list("first_episode_opened")
        assert (first.user_id, first.event_data) == (
            "user_a",
            {"episodeId": "ep_org_a", "projectId": "proj_org_a"},
        )
