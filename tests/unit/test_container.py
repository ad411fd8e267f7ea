"""The composition root resolves every provider of every container, with memory and with
PostgreSQL storage, without connecting to anything: a dependency that no container
supplies, or a slot the root leaves empty, fails here instead of on a request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

import pytest
from dependency_injector import containers, errors, providers
from dependency_injector.containers import Container as AnyContainer

from manyfutures.adapters.memory.delivery import InlineDeliveryJobs
from manyfutures.adapters.memory.dispatcher import ThreadPoolDispatcher
from manyfutures.adapters.memory.scheduler_gateway import InMemorySchedulerGateway
from manyfutures.adapters.memory.simulated_generator import SimulatedGenerator
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.adapters.n8n.generator import N8nGenerator
from manyfutures.adapters.postgres.scheduler_gateway import PostgresSchedulerGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.adapters.rq.dispatcher import RqDispatcher
from manyfutures.adapters.rq.outbox import RqDeliveryJobs
from manyfutures.adapters.rq.simulation import QueuedSimulation
from manyfutures.composition.adapters import AdaptersContainer
from manyfutures.composition.generation import SIMULATE_JOB
from manyfutures.composition.outbox import DELIVER_OUTBOX_JOB
from manyfutures.composition.scheduling import START_GENERATION_JOB, SchedulingContainer
from manyfutures.container import Container, build_container
from manyfutures.core.shared.use_case import UseCase
from manyfutures.settings import Settings

# Nothing listens on port 9 of the loopback: a provider that connected would fail.
UNREACHABLE = "127.0.0.1:9"
STORAGES = {
    "memory": Settings(),
    "postgres": Settings(
        storage="postgres",
        database_url=f"postgresql+psycopg://owner@{UNREACHABLE}/manyfutures",
        redis_url=f"redis://{UNREACHABLE}/0",
    ),
    "postgres with rq": Settings(
        storage="postgres",
        database_url=f"postgresql+psycopg://owner@{UNREACHABLE}/manyfutures",
        redis_url=f"redis://{UNREACHABLE}/0",
        dispatcher="rq",
    ),
}
SELECTED = {
    "memory": (InMemoryUnitOfWorkFactory, InMemorySchedulerGateway),
    "postgres": (PostgresUnitOfWorkFactory, PostgresSchedulerGateway),
}
JOBS = {
    "threads": (ThreadPoolDispatcher, SimulatedGenerator, InlineDeliveryJobs),
    "rq": (RqDispatcher, QueuedSimulation, RqDeliveryJobs),
}
CAPABILITIES = ("identity", "projects", "feedback", "activity", "generation", "scheduling")
# Declarations, not things to build: settings, and the slots another container fills.
NOT_BUILT = (providers.Configuration, providers.DependenciesContainer)


def sub_containers(container: AnyContainer) -> dict[str, AnyContainer]:
    return {
        name: provider.container
        for name, provider in container.providers.items()
        if isinstance(provider, providers.Container)
    }


def resolve_all(container: AnyContainer) -> dict[str, object]:
    """Every provider of every sub-container but the adapters, built, by path.

    The adapters container holds every storage's alternatives (a Postgres engine needs a
    URL); the others reach, through its selectors, exactly the ones the settings chose.
    """
    return {
        f"{name}.{provider_name}": provider()
        for name, sub in sub_containers(container).items()
        if name != "adapters"
        for provider_name, provider in sub.providers.items()
        if not isinstance(provider, NOT_BUILT)
    }


@pytest.fixture(params=list(STORAGES))
def container(request: pytest.FixtureRequest) -> Iterator[Container]:
    container = build_container(STORAGES[request.param])
    yield container
    container.scheduling.dispatcher().shutdown()


def test_every_capability_has_its_container(container: Container) -> None:
    assert set(CAPABILITIES) <= set(sub_containers(container))


def test_every_provider_resolves_without_connecting(container: Container) -> None:
    resolved = resolve_all(container)
    use_cases = {path for path, built in resolved.items() if isinstance(built, UseCase)}
    assert len(use_cases) >= 30
    assert {"projects.create_project", "scheduling.start_generation"} <= use_cases
    assert "scheduling.scheduler_tick" in resolved


def test_storage_selects_both_storage_adapters(container: Container) -> None:
    uow_factory, gateway = SELECTED[container.config.storage()]
    assert isinstance(container.adapters.uow_factory(), uow_factory)
    assert isinstance(container.adapters.scheduler_gateway(), gateway)


def test_the_dispatcher_selects_where_jobs_and_simulations_run(container: Container) -> None:
    dispatcher, generator, delivery = JOBS[container.config.dispatcher()]
    assert isinstance(container.scheduling.dispatcher(), dispatcher)
    assert isinstance(container.generation.generator(), generator)
    assert isinstance(container.outbox.delivery_jobs(), delivery)


def test_rq_jobs_are_named_by_paths_that_import() -> None:
    """The dispatcher and the simulation enqueue by dotted path; the worker imports them."""
    from rq.utils import import_attribute

    from manyfutures.entrypoints import jobs

    assert import_attribute(START_GENERATION_JOB) is jobs.start_generation
    assert import_attribute(SIMULATE_JOB) is jobs.simulate_generation
    assert import_attribute(DELIVER_OUTBOX_JOB) is jobs.deliver_outbox


def test_a_slot_left_empty_fails_resolution() -> None:
    class Incomplete(containers.DeclarativeContainer):
        """The root's scheduling without the work of the capabilities above it."""

        config = providers.Configuration(strict=True)
        adapters = providers.Container(AdaptersContainer, config=config)
        scheduling = providers.Container(SchedulingContainer, config=config, adapters=adapters)

    container = Incomplete()
    container.config.from_dict(asdict(Settings()))
    with pytest.raises(errors.Error, match=r"Dependency .*scheduling\.\w+.* is not defined"):
        resolve_all(container)


def test_the_n8n_generator_is_chosen_by_the_existing_selector() -> None:
    settings = Settings(
        generator="n8n",
        n8n_webhook_url="http://127.0.0.1:9/webhook/x",
        n8n_webhook_header_value="s3cret",
        public_url="https://api.example.com/",
    )
    settings.validate()
    container = build_container(settings)
    generator = container.generation.generator()
    assert isinstance(generator, N8nGenerator)
    assert generator._callback_url == "https://api.example.com/webhooks/n8n/episodes"
    assert container.generation.start_generation()._generator is generator
