"""``/orders``: every execution pattern of the usage guide, over HTTP.

Workflow ids come from the caller and the order id (``order-<owner tag>-<order_id>``, see
api.ownership), so a retried POST finds the workflow its first attempt started instead of
starting another one, and two callers using the same order id never meet; another caller's order
answers 404. ``/orders/order-<order_id>/...`` finds the caller's own order too. Every order records
its owner, ``OrderId`` and ``CustomerId`` (a keyed hash of the e-mail) as search attributes;
the e-mail itself goes into no index and no memo. Cancelling has two routes: ``/cancel``
sends the guide's ``cancel`` signal (recorded even while no worker runs; the order decides later),
``/cancellation`` sends the ``request_cancellation`` update and answers at once whether the order
accepted it and what it will undo, or refused it (409).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from contracts.common import CANCEL, CancelRequest
from contracts.orders import ORDER, ORDER_NOT_CANCELLABLE, REQUEST_CANCELLATION, OrderOutput
from contracts.search_attributes import CUSTOMER_ID, ORDER_ID
from fastapi import APIRouter, Body, Query, Response
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

from api.auth.dependencies import OrdersReader, OrdersWriter
from api.auth.principal import Principal
from api.customer_ids import customer_id
from api.deps import ApiSettingsDep, StartLimiterDep, WorkflowCallsDep
from api.errors.orders import OrderFailed, OrderNotCancellable
from api.models.common import (
    CancelBody,
    IdempotencyKeyHeader,
    OrderIdPath,
    SignalSent,
    WaitQuery,
    WorkflowRunning,
    WorkflowStarted,
)
from api.models.orders import (
    BatchBody,
    BatchItem,
    BatchResponse,
    CancellationAnswer,
    OrderRequest,
    OrderResult,
    OrderStatus,
    ScheduleQuery,
    UrgentOrderRequest,
)
from api.ownership import scoped_id
from api.problems import OutcomeUnknown, UpdateRefused, WorkflowNotStarted, problem_responses
from api.responses import answer_started, answer_still_running, invalid, resolve_wait
from api.settings import ApiSettings
from api.workflow_calls import Finished, Refused, WorkflowCalls, completed_status

__all__ = ["order_workflow_id", "router"]

router = APIRouter(prefix="/orders", tags=["orders"])

_STILL_RUNNING = "Still running when the wait ran out; poll `result_url`."
# What makes a retried start find the workflow its first attempt started.
_RETRY_KEY = "order_id"

_START_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": WorkflowStarted,
        "description": "This order's workflow exists (running, or already finished: see "
        "`status` and `workflow_status`); nothing new was started.",
    },
    **problem_responses(400, 413, 422, 429, 503),
}
# The guide's generic attribute for the whole amount; the amount is no personal data.
_AMOUNT = SearchAttributeKey.for_int("CustomIntField")


def order_workflow_id(caller: Principal, order_id: str) -> str:
    """The workflow id of a caller's order: one business key per caller, one workflow."""
    return scoped_id(f"order-{order_id}", caller.subject)


def _search_attributes(
    order: OrderRequest, settings: ApiSettings, *extra: SearchAttributePair[Any]
) -> TypedSearchAttributes:
    # Owner is added by WorkflowCalls.on_behalf_of; these say which order and which customer.
    key = settings.customer_id_secret
    return TypedSearchAttributes(
        [
            SearchAttributePair(ORDER_ID, order.order_id),
            SearchAttributePair(CUSTOMER_ID, customer_id(str(order.customer_email), key)),
            *extra,
        ]
    )


def _status_url(workflow_id: str) -> str:
    return f"/orders/{workflow_id}/status"


def _result_url(workflow_id: str) -> str:
    return f"/orders/{workflow_id}/result"


def _memo(idempotency_key: str | None, **values: Any) -> dict[str, Any]:
    memo = dict(values)
    if idempotency_key is not None:
        memo["idempotency_key"] = idempotency_key
    return memo


def _order_result(
    workflow_id: str, output: OrderOutput, started: bool | None = None
) -> OrderResult:
    # The workflow completes normally even when the order fails (it compensates and reports
    # why); answering 200 to that would be a fake success.
    if output.status == "failed":
        raise OrderFailed(
            f"order {output.order_id} {output.status}: {output.message}",
            workflow_id=workflow_id,
            workflow_status="completed",
            status_url=_status_url(workflow_id),
        )
    return OrderResult(
        workflow_id=workflow_id, status=completed_status(output), started=started, result=output
    )


async def _start(
    caller: Principal,
    calls: WorkflowCalls,
    limiter: StartLimiterDep,
    order: OrderRequest,
    response: Response,
    idempotency_key: str | None,
    *,
    scheduled: bool = False,
    memo: dict[str, Any] | None = None,
    amount_attribute: bool = False,
    **options: Any,
) -> WorkflowStarted:
    limiter.take(caller.subject)
    workflow_id = order_workflow_id(caller, order.order_id)
    extra = [SearchAttributePair(_AMOUNT, int(order.amount))] if amount_attribute else []
    outcome = await calls.on_behalf_of(caller).start_once(
        ORDER,
        order.to_input(),
        workflow_id=workflow_id,
        status_url=_status_url(workflow_id),
        retry_key=_RETRY_KEY,
        memo=_memo(idempotency_key, **(memo or {})),
        search_attributes=_search_attributes(order, calls.settings, *extra),
        **options,
    )
    return answer_started(
        outcome,
        response,
        status_url=_status_url(workflow_id),
        result_url=_result_url(workflow_id),
        scheduled=scheduled,
    )


@router.post(
    "",
    status_code=202,
    response_model=WorkflowStarted,
    responses=_START_RESPONSES,
    summary="Start an order workflow and return at once",
)
async def create_order(
    caller: OrdersWriter,
    order: OrderRequest,
    calls: WorkflowCallsDep,
    limiter: StartLimiterDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkflowStarted:
    """Pattern 1: start without waiting; poll ``status_url`` or ``result_url`` afterwards."""
    return await _start(caller, calls, limiter, order, response, idempotency_key)


@router.post(
    "/sync",
    response_model=OrderResult | WorkflowRunning,
    response_description="The order completed, or was cancelled by a cancel signal.",
    responses={
        202: {"model": WorkflowRunning, "description": _STILL_RUNNING},
        **problem_responses(400, 409, 413, 422, 429, 503),
    },
    summary="Start an order workflow and wait (bounded) for its result",
)
async def create_order_sync(
    caller: OrdersWriter,
    order: OrderRequest,
    calls: WorkflowCallsDep,
    limiter: StartLimiterDep,
    settings: ApiSettingsDep,
    response: Response,
    wait: WaitQuery = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> OrderResult | WorkflowRunning:
    """Pattern 2: execute and wait, but never longer than ``wait`` seconds.

    A retry while the first attempt still runs waits for that same workflow.
    """
    seconds = resolve_wait(wait, settings)
    limiter.take(caller.subject)
    workflow_id = order_workflow_id(caller, order.order_id)
    calls = calls.on_behalf_of(caller)
    outcome = await calls.start_once(
        ORDER,
        order.to_input(),
        workflow_id=workflow_id,
        status_url=_status_url(workflow_id),
        retry_key=_RETRY_KEY,
        memo=_memo(idempotency_key),
        search_attributes=_search_attributes(order, settings),
    )
    answer = await calls.wait_for_result(
        ORDER, workflow_id, wait=seconds, status_url=_status_url(workflow_id)
    )
    if isinstance(answer, Finished):
        return _order_result(workflow_id, answer.value, outcome.started)
    return answer_still_running(
        response,
        workflow_id,
        answer.status,
        status_url=_status_url(workflow_id),
        result_url=_result_url(workflow_id),
    )


@router.post(
    "/scheduled",
    status_code=202,
    response_model=WorkflowStarted,
    responses=_START_RESPONSES,
    summary="Start an order workflow after a delay",
)
async def schedule_order(
    caller: OrdersWriter,
    order: OrderRequest,
    schedule: Annotated[ScheduleQuery, Query()],
    calls: WorkflowCallsDep,
    limiter: StartLimiterDep,
    settings: ApiSettingsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkflowStarted:
    """Pattern 3: the workflow exists now (status ``scheduled``) and begins after the delay.

    Give exactly one of ``delay_seconds`` or ``delay_minutes``.
    """
    if schedule.delay > timedelta(seconds=settings.max_start_delay_seconds):
        raise invalid(
            ("query", schedule.given),
            f"the delay may be at most {settings.max_start_delay_seconds} seconds",
            getattr(schedule, schedule.given),
            "less_than_equal",
        )
    return await _start(
        caller,
        calls,
        limiter,
        order,
        response,
        idempotency_key,
        scheduled=True,
        start_delay=schedule.delay,
    )


@router.post(
    "/urgent",
    status_code=202,
    response_model=WorkflowStarted,
    responses=_START_RESPONSES,
    summary="Start an order workflow with its own timeouts and retry policy",
)
async def create_urgent_order(
    caller: OrdersWriter,
    order: UrgentOrderRequest,
    calls: WorkflowCallsDep,
    limiter: StartLimiterDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkflowStarted:
    """Override the configured workflow timeouts and retry policy for this one execution."""
    return await _start(
        caller,
        calls,
        limiter,
        order,
        response,
        idempotency_key,
        execution_timeout=timedelta(seconds=order.execution_timeout_seconds),
        run_timeout=timedelta(seconds=order.run_timeout_seconds),
        retry_policy=RetryPolicy(
            maximum_attempts=order.max_attempts,
            initial_interval=timedelta(seconds=order.initial_retry_interval_seconds),
            maximum_interval=timedelta(seconds=order.max_retry_interval_seconds),
            backoff_coefficient=2.0,
        ),
    )


@router.post(
    "/tracked",
    status_code=202,
    response_model=WorkflowStarted,
    responses=_START_RESPONSES,
    summary="Start an order workflow with memo and search attributes",
)
async def create_tracked_order(
    caller: OrdersWriter,
    order: OrderRequest,
    calls: WorkflowCallsDep,
    limiter: StartLimiterDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkflowStarted:
    """Record the amount too, so the order can be found by it in Temporal's UI and queries.

    Like every order it carries ``Owner``, ``OrderId`` and ``CustomerId`` (a keyed hash of the
    e-mail, never the address); this route adds the whole amount as ``CustomIntField`` and the
    amount in the memo. All must be registered on the server (the local stack and compose do).
    """
    return await _start(
        caller,
        calls,
        limiter,
        order,
        response,
        idempotency_key,
        memo={"order_amount": order.amount},
        amount_attribute=True,
    )


@router.post(
    "/batch",
    status_code=202,
    response_model=BatchResponse,
    responses={
        207: {"model": BatchResponse, "description": "Some orders had already run (see items)."},
        **problem_responses(400, 413, 422, 429, 503),
    },
    summary="Start many order workflows concurrently",
)
async def create_batch_orders(
    caller: OrdersWriter,
    orders: Annotated[BatchBody, Body(description="Orders, each with a distinct order_id.")],
    calls: WorkflowCallsDep,
    limiter: StartLimiterDep,
    settings: ApiSettingsDep,
    response: Response,
) -> BatchResponse:
    """Start each order at most once, a bounded number at a time, and report each outcome.

    Retrying a whole batch is safe: orders already running are reported, not restarted. If
    Temporal becomes unreachable mid-batch the answer is 503 and a retry finishes the job.
    """
    if len(orders) > settings.max_batch_size:
        raise invalid(
            ("body",),
            f"a batch may hold at most {settings.max_batch_size} orders, got {len(orders)}",
            len(orders),
            "too_long",
        )
    # Each order is a start: a batch spends as many starts of the caller's allowance.
    limiter.take(caller.subject, len(orders))
    gate = asyncio.Semaphore(settings.batch_concurrency)
    calls = calls.on_behalf_of(caller)

    async def start_one(order: OrderRequest) -> BatchItem:
        workflow_id = order_workflow_id(caller, order.order_id)
        async with gate:
            outcome = await calls.start_once(
                ORDER,
                order.to_input(),
                workflow_id=workflow_id,
                status_url=_status_url(workflow_id),
                retry_key=_RETRY_KEY,
                search_attributes=_search_attributes(order, settings),
            )
        if outcome.ended is not None:
            return BatchItem(
                order_id=order.order_id,
                workflow_id=workflow_id,
                outcome="already_exists",
                status_url=_status_url(workflow_id),
                detail=f"order {order.order_id} already ran to its end ({outcome.ended}); "
                "its status_url has the outcome",
            )
        return BatchItem(
            order_id=order.order_id,
            workflow_id=workflow_id,
            outcome="started" if outcome.started else "already_running",
            status_url=_status_url(workflow_id),
        )

    # Let every start finish before answering: a failure (Temporal unreachable) must not leave
    # siblings running unobserved. Starts are idempotent, so the client can retry the batch.
    outcomes = await asyncio.gather(*(start_one(order) for order in orders), return_exceptions=True)
    items: list[BatchItem] = []
    for outcome in outcomes:
        if isinstance(outcome, OutcomeUnknown):
            # One order's status_url would mislead: the batch as a whole is what to repeat.
            raise OutcomeUnknown(
                "Temporal did not confirm every start of this batch, so some orders may have "
                "started; retry the same batch: orders that started are reported, never "
                "started twice"
            ) from outcome
        if isinstance(outcome, BaseException):
            raise outcome
        items.append(outcome)
    counts = {
        outcome: sum(item.outcome == outcome for item in items)
        for outcome in ("started", "already_running", "already_exists")
    }
    if counts["already_exists"]:
        response.status_code = 207
    return BatchResponse(
        total=len(items),
        started=counts["started"],
        already_running=counts["already_running"],
        already_exists=counts["already_exists"],
        items=items,
    )


@router.get(
    "/{workflow_id}/status",
    response_model=OrderStatus,
    responses=problem_responses(404, 422, 503),
    summary="Status of an order workflow",
)
async def get_order_status(
    caller: OrdersReader, workflow_id: OrderIdPath, calls: WorkflowCallsDep
) -> OrderStatus:
    """Pattern 4: the ``state`` query while it runs; the final status once it has finished.

    An order a cancel signal stopped reads ``cancelled``, as does one cancelled through Temporal.
    """
    found = await calls.on_behalf_of(caller).look_up(ORDER, workflow_id)
    workflow_id = found.workflow_id or workflow_id
    return OrderStatus(
        workflow_id=workflow_id,
        status=found.status,
        state=found.state.model_dump(mode="json") if found.state is not None else None,
        result_url=_result_url(workflow_id),
    )


@router.post(
    "/{workflow_id}/cancel",
    status_code=202,
    response_model=SignalSent,
    responses=problem_responses(400, 404, 409, 413, 422, 503),
    summary="Ask an order workflow to cancel",
)
async def cancel_order(
    caller: OrdersWriter, workflow_id: OrderIdPath, body: CancelBody, calls: WorkflowCallsDep
) -> SignalSent:
    """Pattern 5: send the ``cancel`` signal with a reason; the order refunds what it charged.

    The workflow then completes with a ``cancelled`` result, which the result endpoint answers.
    """
    return await calls.on_behalf_of(caller).signal(
        ORDER,
        workflow_id,
        CANCEL,
        CancelRequest(reason=body.reason),
        status_url=_status_url(workflow_id),
    )


@router.post(
    "/{workflow_id}/cancellation",
    response_model=CancellationAnswer,
    responses={
        **problem_responses(400, 404, 409, 413, 422, 503),
    },
    summary="Cancel an order and learn at once what that undoes",
)
async def request_cancellation(
    caller: OrdersWriter, workflow_id: OrderIdPath, body: CancelBody, calls: WorkflowCallsDep
) -> CancellationAnswer:
    """Send the ``request_cancellation`` update: 200 when the order accepted it, 409 if not.

    The answer names the step that finishes first and what the order will undo (refund, release).
    409 ``order-not-cancellable`` when it is being confirmed or failing already, 409
    ``workflow-finished`` once it has ended. Repeating an accepted request answers 200 again
    (``already_requested``).
    """
    request = CancelRequest(reason=body.reason)
    status_url = _status_url(workflow_id)
    calls = calls.on_behalf_of(caller)
    try:
        answer = await calls.update(
            ORDER, workflow_id, REQUEST_CANCELLATION, request, status_url=status_url
        )
    except WorkflowNotStarted:
        # A delayed order runs no code yet, so nothing can answer the update; but it has done
        # nothing either. The signal is recorded now, and the order checks it before its first
        # step, so it will end cancelled with nothing to undo: that is the answer.
        await calls.signal(ORDER, workflow_id, CANCEL, request, status_url=status_url)
        return CancellationAnswer(
            workflow_id=workflow_id,
            reason=request.reason,
            status_url=status_url,
            result_url=_result_url(workflow_id),
        )
    if isinstance(answer, Refused):
        state = answer.details[0] if answer.details else None
        if answer.kind == ORDER_NOT_CANCELLABLE:
            # The order's own refusal, worded by the workflow for the client.
            problem, why = OrderNotCancellable, answer.message
        else:
            # Anything else may be any exception's text: it stays in the workflow's history.
            problem, why = UpdateRefused, "see the order's status"
        raise problem(
            f"order {workflow_id} refused to cancel: {why}",
            workflow_id=workflow_id,
            workflow_status="running",
            status_url=status_url,
            extensions={"state": state} if state is not None else None,
        )
    return CancellationAnswer(
        workflow_id=workflow_id,
        step_in_progress=answer.step_in_progress,
        will_undo=answer.will_undo,
        reason=answer.reason,
        already_requested=answer.already_requested,
        status_url=status_url,
        result_url=_result_url(workflow_id),
    )


@router.get(
    "/{workflow_id}/result",
    response_model=OrderResult | WorkflowRunning,
    response_description="The order completed, or was cancelled by a cancel signal.",
    responses={
        202: {"model": WorkflowRunning, "description": _STILL_RUNNING},
        **problem_responses(404, 409, 422, 503),
    },
    summary="Result of an order workflow (bounded wait)",
)
async def get_order_result(
    caller: OrdersReader,
    workflow_id: OrderIdPath,
    calls: WorkflowCallsDep,
    settings: ApiSettingsDep,
    response: Response,
    wait: WaitQuery = None,
) -> OrderResult | WorkflowRunning:
    """Pattern 6: the result once completed; 202 while running; 409 if it failed.

    409 ``workflow-cancelled`` when the run was cancelled through Temporal (it has no result).
    """
    answer = await calls.on_behalf_of(caller).wait_for_result(
        ORDER,
        workflow_id,
        wait=resolve_wait(wait, settings),
        status_url=_status_url(workflow_id),
    )
    if isinstance(answer, Finished):
        return _order_result(workflow_id, answer.value)
    return answer_still_running(
        response,
        workflow_id,
        answer.status,
        status_url=_status_url(workflow_id),
        result_url=_result_url(workflow_id),
    )
