"""The GitHub workflows: pinned actions, least privilege, time limits, concurrency; and the
offline linters the lint session runs (zizmor, check-jsonschema) find nothing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitops.diff.report import MARKER

ROOT = Path(__file__).resolve().parents[2]  # at import: the workflow files parametrize the tests
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^\s+#\s*(?P<version>v\d+\.\d+\.\d+)\b")


@pytest.fixture
def pins_file(fixtures_dir: Path) -> Path:
    """The recorded source of every action's pinned SHA."""
    return fixtures_dir / "workflows" / "action-pins.json"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def uses_lines(path: Path) -> list[tuple[int, str, str]]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = USES_LINE.match(line)
        if match:
            found.append((number, match["ref"], match["rest"]))
    return found


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in WORKFLOW_FILES} >= {"pr.yml", "image.yml", "promote.yml"}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_with_version_comment(path: Path, pins_file) -> None:
    pins = json.loads(pins_file.read_text())["pins"]
    uses = uses_lines(path)
    assert uses, f"{path.name}: no actions found"
    for number, ref, rest in uses:
        where = f"{path.name}:{number}"
        match = PINNED.match(ref)
        assert match, f"{where}: {ref} is not pinned by a full 40-hex commit SHA"
        comment = VERSION_COMMENT.match(rest)
        assert comment, f"{where}: {ref} has no '# vX.Y.Z' comment"
        action = match["action"]
        assert action in pins, f"{where}: {action} has no recorded source in {pins_file.name}"
        assert pins[action]["sha"] == match["sha"], f"{where}: SHA differs from {pins_file.name}"
        assert pins[action]["version"] == comment["version"], f"{where}: version comment differs"


def test_every_recorded_pin_has_at_least_two_sources(pins_file) -> None:
    for action, pin in json.loads(pins_file.read_text())["pins"].items():
        assert re.fullmatch(r"[0-9a-f]{40}", pin["sha"]), action
        assert len(pin["evidence"]) >= 2, f"{action}: fewer than two sources"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_top_level_permissions_are_empty_and_concurrency_is_set(path: Path) -> None:
    data = load(path)
    assert data.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    concurrency = data.get("concurrency")
    assert isinstance(concurrency, dict), f"{path.name}: no concurrency group"
    assert concurrency.get("group"), f"{path.name}: concurrency without group"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_job_has_permissions_and_a_timeout(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{path.name}: job {name}: permissions"
        assert "write-all" not in str(job["permissions"]), f"{path.name}: job {name}"
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int), f"{path.name}: job {name}: no timeout-minutes"
        assert 0 < timeout <= 60, f"{path.name}: job {name}: timeout-minutes {timeout}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_checkouts_never_persist_credentials(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                persist = (step.get("with") or {}).get("persist-credentials")
                assert persist is False, f"{path.name}: job {name}: persist-credentials: false"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_shell_script(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            script = step.get("run", "")
            assert "${{" not in script, f"{path.name}: job {name}: pass values through env"


def test_no_workflow_uses_pull_request_target() -> None:
    for path in WORKFLOW_FILES:
        assert "pull_request_target" not in load(path)["on"], path.name


def test_pr_workflow_runs_the_gate_and_upserts_one_diff_comment() -> None:
    pr = load(WORKFLOWS / "pr.yml")
    assert "pull_request" in pr["on"]
    jobs = pr["jobs"]
    scripts = {
        name: "\n".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()
    }
    assert "nox -s lint" in scripts["lint"]
    assert "nox -s tests" in scripts["tests"]
    assert jobs["tests"]["env"]["GUESTBOOK_REQUIRE_SERVERS"] == "1"
    assert "postgresql redis-server" in scripts["tests"]
    assert "--format sarif --output validate.sarif" in scripts["validate"]
    # validate runs the PR's code with read access only; code-scanning uploads its SARIF
    assert jobs["validate"]["permissions"] == {"contents": "read"}
    assert any("upload-sarif" in str(s.get("uses")) for s in jobs["code-scanning"]["steps"])
    assert jobs["code-scanning"]["needs"] == "validate"
    assert not any("run" in s for s in jobs["code-scanning"]["steps"])
    assert 'nox -s diff -- "origin/${BASE_REF}" --format markdown' in scripts["diff"]
    # Only the job that runs no PR code may write, and only to pull requests.
    assert jobs["diff"]["permissions"] == {"contents": "read"}
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    assert not any("uses" in s for s in jobs["comment"]["steps"])
    assert 'nox -s diff -- "origin/${BASE_REF}" --format markdown > diff.md' in scripts["diff"]
    assert MARKER in scripts["comment"]  # the marker `nox -s diff --format markdown` writes
    assert "--method PATCH" in scripts["comment"]
    assert "head.repo.full_name == github.repository" in jobs["comment"]["if"]


def test_image_workflow_builds_on_service_changes_and_bumps_dev_by_digest() -> None:
    image = load(WORKFLOWS / "image.yml")
    assert image["on"]["push"] == {"branches": ["main"], "paths": ["services/**"]}
    build, bump = image["jobs"]["build"], image["jobs"]["bump"]
    assert build["permissions"] == {"contents": "read", "packages": "write"}
    assert "steps.build.outputs.digest" in build["outputs"]["image"]
    assert "${SHA::7}" in "\n".join(s.get("run", "") for s in build["steps"])
    script = "\n".join(s.get("run", "") for s in bump["steps"])
    assert 'nox -s bump -- dev "$IMAGE" --push --open-pr' in script
    assert bump["needs"] == ["build", "attest", "wheelhouse"]  # an attested image; the wheelhouse


def test_promote_workflow_is_manual_and_opens_a_pr() -> None:
    promote = load(WORKFLOWS / "promote.yml")
    assert "workflow_dispatch" in promote["on"]
    script = "\n".join(s.get("run", "") for s in promote["jobs"]["promote"]["steps"])
    assert "nox -s promote -- dev prod --push --open-pr" in script


@pytest.mark.parametrize(("workflow", "job", "command"), [
    ("image.yml", "bump", "nox -s bump"),
    ("promote.yml", "promote", "nox -s promote"),
])  # fmt: skip
def test_deploying_pull_requests_are_opened_with_an_app_token_so_they_get_the_checks(
    workflow: str, job: str, command: str
) -> None:
    """GitHub starts no workflow for a PR opened with GITHUB_TOKEN: the PRs that deploy must be
    opened with the App's token, and the job itself needs no write permission."""
    steps = load(WORKFLOWS / workflow)["jobs"][job]["steps"]
    app = next(
        s for s in steps if str(s.get("uses", "")).startswith("actions/create-github-app-token@")
    )
    assert app["with"]["client-id"] == "${{ vars.GITOPS_APP_CLIENT_ID }}"
    assert app["with"]["private-key"] == "${{ secrets.GITOPS_APP_PRIVATE_KEY }}"
    assert (app["with"]["permission-contents"], app["with"]["permission-pull-requests"]) == (
        "write",
        "write",
    )
    runner = next(s for s in steps if command in s.get("run", ""))
    assert runner["env"]["GH_TOKEN"] == f"${{{{ steps.{app['id']}.outputs.token }}}}"
    assert "github.token" not in (WORKFLOWS / workflow).read_text()
    permissions = load(WORKFLOWS / workflow)["jobs"][job]["permissions"]
    assert "write" not in permissions.values()


def test_codeowners_must_approve_what_prod_runs() -> None:
    owners = {}
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *people = line.split()
            owners[pattern] = people
    for pattern in ("/clusters/prod/", "/apps/guestbook/overlays/prod/"):
        assert owners.get(pattern), f"CODEOWNERS: nobody owns {pattern}"
        assert (ROOT / pattern.strip("/")).is_dir(), f"CODEOWNERS: {pattern} does not exist"


def _run_linter(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)


def test_zizmor_finds_nothing() -> None:
    zizmor = shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor not installed (pip install zizmor); nox -s lint installs it")
    files = [str(p) for p in WORKFLOW_FILES]
    result = _run_linter([zizmor, "--offline", "--min-severity", "low", *files])
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_would_catch_an_unpinned_action(tmp_path: Path) -> None:
    """The linter test above can fail: the same run flags a workflow with the usual mistakes."""
    zizmor = shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor not installed (pip install zizmor); nox -s lint installs it")
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.head_commit.message }}"\n'
    )
    result = _run_linter([zizmor, "--offline", "--min-severity", "low", str(bad)])
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout + result.stderr
    assert "template-injection" in result.stdout + result.stderr


def test_workflows_match_githubs_schema() -> None:
    checker = shutil.which("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema not installed (pip install check-jsonschema)")
    files = [str(p) for p in WORKFLOW_FILES]
    result = _run_linter([checker, "--builtin-schema", "vendor.github-workflows", *files])
    assert result.returncode == 0, result.stdout + result.stderr
