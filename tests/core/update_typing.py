"""What pyright (strict) infers for BaseWorkflow's update helpers; checked, never run.

``test_workflow_updates.test_update_helpers_are_typed_for_pyright`` runs pyright on this file and
reads the ``reveal_type`` lines: each result must be the handler's declared model.
"""

from __future__ import annotations

from typing import reveal_type

from temporalio.client import Client

from tests.core.sample_workflows import GreetingWorkflow, GreetInput, Guest


async def typed_updates(client: Client) -> None:
    executed = await GreetingWorkflow.execute_update(
        client, "party-1", GreetingWorkflow.invite, Guest(name="Ada")
    )
    reveal_type(executed)
    started = await GreetingWorkflow.start_update(
        client, "party-1", GreetingWorkflow.invite, Guest(name="Bo")
    )
    reveal_type(started)
    with_start = await GreetingWorkflow.update_with_start(
        client,
        input=GreetInput(name="host"),
        id="party-2",
        update=GreetingWorkflow.invite,
        arg=Guest(name="Cy"),
    )
    reveal_type(with_start)
    started_with_start = await GreetingWorkflow.start_update_with_start(
        client,
        input=GreetInput(name="host"),
        id="party-2",
        update=GreetingWorkflow.invite,
        arg=Guest(name="Di"),
    )
    reveal_type(started_with_start)
    # Deliberately wrong: ``invite`` takes a Guest; the test expects pyright to flag this line.
    await GreetingWorkflow.execute_update(client, "party-1", GreetingWorkflow.invite, "Ed")
