"""Locating a callback's run: across organizations, and nothing but what authenticates it."""

from __future__ import annotations

from manyfutures.core.generation.callback_token import hash_callback_token
from manyfutures.core.generation.ports import RunCredentials
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b


def open_run(storage: Storage, org: str, run_id: str, token_hash: str | None) -> None:
    with storage.uow(org) as uow:
        uow.queue.add(b.queue_item(f"queue_{org}", f"proj_{org}", f"ep_{org}", org))
        uow.runs.add(
            b.generation_run(
                run_id,
                f"ep_{org}",
                f"queue_{org}",
                org,
                callback_token_hash=token_hash,
            )
        )
        uow.commit()


def test_a_run_is_found_from_its_id_alone_in_any_organization(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    open_run(storage, "org_a", "run_a", hash_callback_token("token-a"))
    open_run(storage, "org_b", "run_b", hash_callback_token("token-b"))
    assert storage.runs.locate("run_a") == RunCredentials("org_a", hash_callback_token("token-a"))
    assert storage.runs.locate("run_b") == RunCredentials("org_b", hash_callback_token("token-b"))


def test_an_unknown_or_uncommitted_run_is_not_found(storage: Storage) -> None:
    seed(storage)
    assert storage.runs.locate("run_missing") is None
    with storage.uow("org_a") as uow:
        uow.queue.add(b.queue_item("queue_org_a", "proj_org_a", "ep_org_a"))
        uow.runs.add(b.generation_run("run_staged", "ep_org_a", "queue_org_a"))
        assert uow.runs.get("run_staged") is not None  # sent (PostgreSQL), not committed
        assert storage.runs.locate("run_staged") is None


def test_a_run_from_before_callback_tokens_has_no_hash(storage: Storage) -> None:
    seed(storage)
    open_run(storage, "org_a", "run_old", None)
    assert storage.runs.locate("run_old") == RunCredentials("org_a", None)
