# Guide, Quick Start "2. Define Activities" (src/app/worker/activities/payment.py)
import asyncio
import uuid

from temporalio import activity
from temporal_core import activity_defn

@activity_defn(queue="orders")  # Same queue as workflow
@activity.defn
async def charge_payment(amount: float) -> str:
    # Your activity logic here
    activity.logger.info(f"Charging ${amount}")
    
    # Simulate payment processing
    await asyncio.sleep(1)
    
    return f"txn_{uuid.uuid4().hex[:8]}"
