# Guide, Quick Start "1. Define a Workflow" (src/app/worker/workflows/order_workflow.py)
from pydantic import BaseModel
from temporalio import workflow

from temporal_core import BaseWorkflow
from temporal_core import workflow_defn

with workflow.unsafe.imports_passed_through():
    from guide_samples.payment import charge_payment

# Input/Output models with Pydantic validation
class OrderInput(BaseModel):
    order_id: str
    customer_email: str
    amount: float
    items: list[dict]

class OrderOutput(BaseModel):
    order_id: str
    status: str
    message: str

# Workflow definition
@workflow_defn(queue="orders")  # Register to task queue
@workflow.defn                   # Temporal decorator
class OrderWorkflow(BaseWorkflow[OrderInput, OrderOutput]):
    
    @workflow.run
    async def run(self, input: OrderInput) -> OrderOutput:
        # Your workflow logic here
        workflow.logger.info(f"Processing order {input.order_id}")
        
        # Execute activities
        payment_result = await self.execute_activity(
            charge_payment,
            input.amount
        )
        
        return OrderOutput(
            order_id=input.order_id,
            status="completed",
            message=f"Order processed successfully"
        )
