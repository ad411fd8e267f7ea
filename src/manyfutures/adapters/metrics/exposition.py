"""The text a scrape of ``/metrics`` gets: the whole directory in multiprocess mode, else
this process's own registry (``manyfutures run`` without ``PROMETHEUS_MULTIPROC_DIR``)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from manyfutures.adapters.metrics.prometheus import current_metrics


def scrape(metrics_dir: str) -> tuple[bytes, str]:
    """The exposition and its content type. Reads the files at each scrape, so it costs
    nothing between scrapes and nothing on any other request."""
    if metrics_dir:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=metrics_dir)  # type: ignore[no-untyped-call]
    else:
        metrics = current_metrics()
        registry = metrics.registry if metrics is not None else REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
