"""Memories' use cases, the daily check and its cross-tenant read (feedback capability)."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.adapters.memory.memory_store_gateway import InMemoryMemoryStoreGateway
from manyfutures.adapters.postgres.memory_store_gateway import PostgresMemoryStoreGateway
from manyfutures.composition.use_case import use_case
from manyfutures.core.feedback.memory_use_cases import (
    CheckMemoryStores,
    CreateMemory,
    DeleteMemory,
    ListMemories,
    MigrateMemories,
    MigrateProjectMemories,
)
from manyfutures.settings import launch_day


class MemoriesContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

    launched_on = providers.Singleton(launch_day, config.launch_date)
    gateway = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryMemoryStoreGateway, adapters.memory_store),
        postgres=providers.Singleton(PostgresMemoryStoreGateway, adapters.postgres_engine),
    )

    create_memory = use_case(CreateMemory, adapters, launched_on)
    list_memories = use_case(ListMemories, adapters)
    delete_memory = use_case(DeleteMemory, adapters, launched_on)
    migrate_project_memories = use_case(MigrateProjectMemories, adapters, launched_on)
    check_memory_stores = providers.Singleton(CheckMemoryStores, gateway, migrate_project_memories)
    migrate_memories = providers.Singleton(MigrateMemories, gateway, migrate_project_memories)
