"""Checks that a workflow class still implements the contract its callers use.

The API starts, queries and signals workflows through a ``WorkflowContract`` from the contracts
package, never through the class. :func:`drift` compares the two, so every worker package can
assert in one test line that its workflow's name, queue, models, signals and updates are the
ones the contract promises: ``assert drift(ORDER, OrderWorkflow) == []``.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any, Union, get_args, get_origin, get_type_hints

from temporalio import workflow

from temporal_core.authoring.registry import registry
from temporal_core.client.workflow_contract import WorkflowContract

__all__ = ["drift"]


def drift(contract: WorkflowContract[Any, Any, Any], workflow_cls: type) -> list[str]:
    """Every way ``workflow_cls`` differs from ``contract``, one sentence each; [] when none."""
    definition = workflow._Definition.from_class(workflow_cls)  # pyright: ignore[reportPrivateUsage]
    if definition is None:
        return [f"{workflow_cls.__name__} is not decorated with @workflow.defn"]
    problems: list[str] = []

    def differs(what: str, promised: object, actual: object) -> None:
        if promised != actual:
            problems.append(
                f"{what}: the contract says {_name(promised)}, the class has {_name(actual)}"
            )

    differs("workflow name", contract.name, definition.name)
    try:
        queue: str | None = registry.queue_of_workflow(workflow_cls)
    except LookupError:
        queue = None
    differs("task queue", contract.queue, queue)
    differs("input model", contract.input_type, getattr(workflow_cls, "input_type", None))
    differs("result model", contract.result_type, getattr(workflow_cls, "return_type", None))
    current_state = getattr(workflow_cls, "current_state", None)
    differs("state model", contract.state_type, _return_type(current_state))

    for signal in contract.signals:
        handler = definition.signals.get(signal.name)
        if handler is None:
            problems.append(f"signal {signal.name!r}: the class has no such signal")
        elif not _accepts(handler.fn, signal.arg_type):
            problems.append(
                f"signal {signal.name!r}: the contract sends {signal.arg_type.__name__}, the "
                f"handler takes {_parameter_names(handler.fn)}"
            )
    for update in contract.updates:
        handler = definition.updates.get(update.name)
        if handler is None:
            problems.append(f"update {update.name!r}: the class has no such update")
            continue
        if not _accepts(handler.fn, update.arg_type):
            problems.append(
                f"update {update.name!r}: the contract sends {update.arg_type.__name__}, the "
                f"handler takes {_parameter_names(handler.fn)}"
            )
        differs(f"update {update.name!r} result", update.result_type, _return_type(handler.fn))
    return problems


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return get_type_hints(fn)
    except (NameError, TypeError):
        return {}


def _return_type(fn: Callable[..., Any] | None) -> object:
    return _hints(fn).get("return") if fn is not None else None


def _first_argument_type(fn: Callable[..., Any]) -> object:
    hints = _hints(fn)
    parameters = [name for name in inspect.signature(fn).parameters if name != "self"]
    return hints.get(parameters[0]) if parameters else None


def _accepts(fn: Callable[..., Any], arg_type: type) -> bool:
    declared = _first_argument_type(fn)
    if get_origin(declared) in (Union, types.UnionType):
        return arg_type in get_args(declared)
    return declared is arg_type


def _parameter_names(fn: Callable[..., Any]) -> str:
    return _name(_first_argument_type(fn))


def _name(value: object) -> str:
    if isinstance(value, type):
        return value.__name__
    return repr(value)
