"""Which queues ``serve`` runs, and under which telemetry service name."""

from __future__ import annotations

import pytest
import typer
from temporal_core.authoring.registry import WorkerPackage, registry
from temporal_core.worker.serve import select_queues, service_name_for

INSTALLED = registry.discover()


def test_a_package_serves_its_own_queues() -> None:
    assert select_queues([], "worker-orders", INSTALLED) == ("orders",)
    assert select_queues([], "worker_reports", INSTALLED) == ("reports",)


def test_no_package_or_a_non_worker_package_serves_every_queue() -> None:
    assert select_queues([], None, INSTALLED) == ("approvals", "orders", "reports")
    assert select_queues([], "temporal-core", INSTALLED) == ("approvals", "orders", "reports")


def test_named_queues_win_over_the_package() -> None:
    assert select_queues(["reports", "orders", "reports"], "worker-orders", INSTALLED) == (
        "reports",
        "orders",
    )


def test_unknown_queues_are_named_with_the_known_ones() -> None:
    with pytest.raises(typer.BadParameter, match="unknown queues nope, zzz; known queues: appro"):
        select_queues(["nope", "orders", "zzz"], None, INSTALLED)


def test_service_name_is_the_owning_package_or_worker() -> None:
    assert service_name_for(("orders",), INSTALLED) == "worker-orders"
    assert service_name_for(("orders", "reports"), INSTALLED) == "worker"
    assert service_name_for(("a",), [WorkerPackage("x", ("a",)), WorkerPackage("y", ("b",))]) == "x"
