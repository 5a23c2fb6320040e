# Guide, "Type Safety", inside a function so it can run.
from temporalio.client import Client, WorkflowHandle

from guide_samples.order_workflow import OrderInput, OrderOutput, OrderWorkflow


async def type_safety_sample(client: Client) -> OrderOutput:
    # Type checker knows the exact input/output types
    handle: WorkflowHandle[OrderWorkflow, OrderOutput] = await OrderWorkflow.start_workflow(
        client,
        input=OrderInput(order_id="123", customer_email="test@example.com", amount=99.99, items=[]),
        id="order-123"
    )

    # Type checker knows result is OrderOutput
    result: OrderOutput = await handle.result()

    # Auto-completion works
    print(result.order_id)   # ✓ Type checker knows this exists
    print(result.status)     # ✓ Type checker knows this exists
    try:
        print(result.invalid)    # ✗ Type checker error!
    except AttributeError:
        pass  # ...and an error at run time too; the test expects pyright to flag the line above
    return result
