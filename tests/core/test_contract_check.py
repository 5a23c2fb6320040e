"""``drift`` names every way a workflow class differs from its contract (pure logic)."""

from __future__ import annotations

from pydantic import BaseModel
from temporal_core import (
    BaseWorkflow,
    CancelRequest,
    SignalContract,
    UpdateContract,
    WorkflowContract,
    WorkflowState,
    workflow_defn,
)
from temporal_core.authoring.contract_check import drift
from temporalio import workflow

QUEUE = "contract-check"


class Ask(BaseModel):
    text: str


class Answer(BaseModel):
    text: str


class Other(BaseModel):
    text: str


class AskState(WorkflowState):
    asked: int = 0


class Vote(BaseModel):
    yes: bool


VOTE = SignalContract(name="vote", arg_type=Vote)
CANCEL = SignalContract(name="cancel", arg_type=CancelRequest)
RENAME = UpdateContract(name="rename", arg_type=Ask, result_type=Answer)

CONTRACT = WorkflowContract(
    name="ContractCheckAsk",
    queue=QUEUE,
    input_type=Ask,
    result_type=Answer,
    state_type=AskState,
    signals=(VOTE, CANCEL),
    updates=(RENAME,),
)


@workflow_defn(queue=QUEUE)
@workflow.defn(name="ContractCheckAsk")
class Faithful(BaseWorkflow[Ask, Answer]):
    @workflow.run
    async def run(self, input: Ask) -> Answer:
        return Answer(text=input.text)

    def current_state(self) -> AskState:
        return AskState(**super().current_state().model_dump())

    @workflow.signal
    def vote(self, vote: Vote) -> None:
        del vote

    @workflow.update
    def rename(self, ask: Ask) -> Answer:
        return Answer(text=ask.text)


@workflow_defn(queue="contract-check-elsewhere")
@workflow.defn(name="ContractCheckDrifted")
class Drifted(BaseWorkflow[Other, Other]):
    @workflow.run
    async def run(self, input: Other) -> Other:
        return input

    @workflow.signal
    def vote(self, vote: Other) -> None:
        del vote


def test_a_faithful_implementation_has_no_drift() -> None:
    assert drift(CONTRACT, Faithful) == []


def test_every_difference_is_named() -> None:
    problems = drift(CONTRACT, Drifted)
    text = "\n".join(problems)
    assert "workflow name: the contract says 'ContractCheckAsk'" in text
    assert "task queue: the contract says 'contract-check'" in text
    assert "input model: the contract says Ask, the class has Other" in text
    assert "result model: the contract says Answer, the class has Other" in text
    assert "state model: the contract says AskState, the class has WorkflowState" in text
    assert "signal 'vote': the contract sends Vote, the handler takes Other" in text
    assert "update 'rename': the class has no such update" in text
    # The inherited cancel signal matches, so it is not reported.
    assert not any("'cancel'" in problem for problem in problems)
    assert len(problems) == 7


def test_an_undecorated_class_is_reported() -> None:
    class Plain(BaseWorkflow[Ask, Answer]):
        pass

    assert drift(CONTRACT, Plain) == ["Plain is not decorated with @workflow.defn"]
