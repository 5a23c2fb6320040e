"""``new-worker``: what it refuses (exit 2 and why) and that its templates match the siblings.

Every refusal happens before a file is written, so these run against the repository itself and
check that it is unchanged. The end-to-end run that creates a worker and passes its checks is
``tests/e2e/test_new_worker.py``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dev_stack.scaffold import MAX_NAME_LENGTH, MAX_QUEUE_LENGTH, Names, main, render_template

ROOT = Path(__file__).resolve().parents[2]


def _status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize(
    ("argv", "wrong", "allowed"),
    [
        (["Shipping", "--queue", "shipping"], "NAME 'Shipping' is not allowed", "lowercase"),
        (["ship_ping", "--queue", "shipping"], "NAME 'ship_ping' is not allowed", "hyphens"),
        (["2fast", "--queue", "fast"], "NAME '2fast' is not allowed", "starting with a letter"),
        (["ship-", "--queue", "shipping"], "NAME 'ship-' is not allowed", "not ending"),
        (
            ["a" * (MAX_NAME_LENGTH + 1), "--queue", "q"],
            "is not allowed",
            f"at most {MAX_NAME_LENGTH}",
        ),
        (
            ["worker-shipping", "--queue", "shipping"],
            "starts with 'worker-'",
            "new-worker shipping",
        ),
        (["shipping", "--queue", "Ship Ping"], "QUEUE 'Ship Ping' is not allowed", "lowercase"),
        (["import", "--queue", "imports"], "is a Python keyword", "choose another name"),
        (["approvals", "--queue", "approvals2"], "packages/worker-approvals/", "members: api"),
        (["shipping", "--queue", "orders"], "served by worker-orders already", "another queue"),
        (["common", "--queue", "common"], "module contracts.common", "choose another name"),
        (["all", "--queue", "all"], "would define ALL", "choose another name"),
        (["approval", "--queue", "approval"], "would define APPROVAL", "choose another name"),
    ],
)
def test_bad_input_exits_2_saying_what_was_wrong_and_what_is_allowed(
    argv: list[str],
    wrong: str,
    allowed: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _status()
    monkeypatch.chdir(ROOT / "packages")
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("new-worker: error: ")
    assert wrong in error
    assert allowed in error
    assert _status() == before, "a refused command must write nothing"


def test_a_missing_queue_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["shipping"])
    assert exited.value.code == 2
    assert "--queue" in capsys.readouterr().err


def test_it_refuses_to_overwrite_a_file_left_from_an_earlier_attempt(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    leftover = ROOT / "deploy" / "k8s" / "base" / "worker-zzleftover" / "worker-zzleftover.yaml"
    leftover.parent.mkdir()
    leftover.write_text("kind: Deployment\n")
    try:
        monkeypatch.chdir(ROOT)
        with pytest.raises(SystemExit) as exited:
            main(["zzleftover", "--queue", "zzleftover"])
        assert exited.value.code == 2
        assert "refusing to overwrite" in capsys.readouterr().err
        assert not (ROOT / "packages" / "worker-zzleftover").exists()
    finally:
        leftover.unlink()
        leftover.parent.rmdir()


@pytest.mark.parametrize(
    ("template", "sibling"),
    [
        ("Dockerfile.tmpl", "packages/worker-approvals/Dockerfile"),
        ("k8s.yaml.tmpl", "deploy/k8s/base/worker-approvals/worker-approvals.yaml"),
        ("k8s-kustomization.yaml.tmpl", "deploy/k8s/base/worker-approvals/kustomization.yaml"),
    ],
)
def test_deployment_templates_are_worker_approvals_own_files(template: str, sibling: str) -> None:
    # Rendered for approvals they must be that service's files, so an improvement made to a
    # sibling's Dockerfile or manifest cannot be forgotten in the template.
    rendered = render_template(template, Names(name="approvals", queue="approvals"))
    assert rendered == (ROOT / sibling).read_text()


@pytest.mark.parametrize(
    "template",
    sorted(
        p.name
        for p in (ROOT / "packages/dev-stack/src/dev_stack/worker_template").glob("*.py.tmpl")
    ),
)
def test_the_longest_allowed_names_stay_within_the_line_length(template: str) -> None:
    queue = "q" * MAX_QUEUE_LENGTH
    # The longest class name (no hyphen) and the longest module path (with one).
    for name in ("a" * MAX_NAME_LENGTH, "a" * 8 + "-" + "b" * (MAX_NAME_LENGTH - 9)):
        text = render_template(template, Names(name=name, queue=queue))
        assert [line for line in text.splitlines() if len(line) > 100] == [], name
