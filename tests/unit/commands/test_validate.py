"""`python -m gitops validate` as a user runs it: exit codes, one finding per line, JSON and SARIF
(checked against their schemas), the rule list, and usage errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from gitops import cli
from gitops.validation.registry import all_rules

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<severity>error|warning) (?P<rule>GB\d{3}) "
                  r"(?P<object>\S+): (?P<message>.+)$")  # fmt: skip

CLEAN = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: guestbook
data:
  MODE: fast
"""
WARNING_ONLY = """\
apiVersion: v1
kind: Namespace
metadata:
  name: guestbook
"""
BROKEN = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  prots: [{port: 80}]
"""


def gitops(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in {
        "clean.yaml": CLEAN,
        "warn.yaml": WARNING_ONLY,
        "broken.yaml": BROKEN,
    }.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_exit_0_when_clean(files: Path, capsys) -> None:
    code, out, err = gitops(capsys, "clean.yaml")
    assert (code, out) == (0, "")
    assert re.fullmatch(
        r"validate: 1 object in 1 file \(Kubernetes 1\.33\): no findings, \d+\.\d\d s\n", err
    )


def test_exit_0_with_warnings_only(files: Path, capsys) -> None:
    code, out, err = gitops(capsys, "warn.yaml")
    assert code == 0
    assert out == (
        "warn.yaml:3: warning GB419 Namespace/guestbook: add the label "
        "pod-security.kubernetes.io/enforce: restricted so the cluster enforces the Pod Security "
        "Standard on this namespace\n"
    )
    assert ": 0 errors, 1 warning, " in err


def test_exit_1_on_any_error_one_finding_per_line(files: Path, capsys) -> None:
    code, out, _ = gitops(capsys, ".")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "broken.yaml:6: error GB101 Service/web: unknown field 'prots' in spec: did you mean "
        "'ports'?"
    )
    for line in lines:
        assert LINE.match(line), line
    paths = [LINE.match(line).group("path") for line in lines]  # type: ignore[union-attr]
    assert paths == sorted(paths)


def test_exit_2_on_usage_errors(files: Path, capsys) -> None:
    code, _, err = gitops(capsys, "missing.yaml")
    assert code == 2
    assert "missing.yaml: no such file or folder" in err
    assert gitops(capsys, "--kubernetes-version", "latest", "clean.yaml")[0] == 2
    assert gitops(capsys, "--custom-resource", "Widget", "clean.yaml")[0] == 2
    (files / "empty").mkdir()
    assert gitops(capsys, "empty")[0] == 2


def test_exit_2_for_an_unsupported_kubernetes_version(files: Path, capsys) -> None:
    code, out, err = gitops(capsys, "--kubernetes-version", "1.99", "clean.yaml")
    assert (code, out) == (2, "")
    assert "no schemas for Kubernetes 1.99" in err


def test_repository_mode_refuses_path_mode_facts(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = gitops(capsys, "--require-digests")
    assert code == 2
    assert "--require-digests applies to PATH mode only" in err


def test_require_digests_and_kubernetes_version_change_the_facts(files: Path, capsys) -> None:
    pod = (
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec:\n"
        "  schedule: '@daily'\n  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, "
        "containers: [{name: c, image: 'x:1'}]}}}}\n"
    )
    (files / "cron.yaml").write_text(pod)
    _, out, _ = gitops(capsys, "--kubernetes-version", "1.25", "cron.yaml")
    assert "GB102" in out and "GB414" not in out
    _, out, _ = gitops(capsys, "--require-digests", "cron.yaml")
    assert "GB414" in out


def test_json_output_follows_its_schema(files: Path, capsys, findings_schema) -> None:
    code, out, _ = gitops(capsys, "--format", "json", ".")
    assert code == 1
    document = json.loads(out)
    jsonschema.Draft202012Validator(findings_schema).validate(document)
    assert document["summary"] == {"errors": 1, "warnings": 1}
    assert document["findings"][0] == {
        "path": "broken.yaml",
        "line": 6,
        "severity": "error",
        "rule": "GB101",
        "object": "Service/web",
        "message": "unknown field 'prots' in spec: did you mean 'ports'?",
    }


def test_json_schema_rejects_what_it_should(files: Path, capsys, findings_schema) -> None:
    validator = jsonschema.Draft202012Validator(findings_schema)
    document = json.loads(gitops(capsys, "--format", "json", ".")[1])
    document["findings"][0]["severity"] = "info"
    assert not validator.is_valid(document)


def test_sarif_output_is_valid_sarif_2_1_0_with_line_regions(
    files: Path, capsys, sarif_schema
) -> None:
    code, out, _ = gitops(capsys, "--format", "sarif", ".")
    assert code == 1
    log = json.loads(out)
    jsonschema.validators.validator_for(sarif_schema)(sarif_schema).validate(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    results = {r["ruleId"]: r for r in run["results"]}
    location = results["GB101"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "broken.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 6}
    assert results["GB101"]["level"] == "error" and results["GB419"]["level"] == "warning"
    assert rules[results["GB101"]["ruleIndex"]]["id"] == "GB101"


def test_sarif_without_findings_is_valid_too(files: Path, capsys, sarif_schema) -> None:
    log = json.loads(gitops(capsys, "--format", "sarif", "clean.yaml")[1])
    jsonschema.validators.validator_for(sarif_schema)(sarif_schema).validate(log)
    assert log["runs"][0]["results"] == []


def test_output_to_a_file(files: Path, capsys) -> None:
    (files / "out").mkdir()
    code, out, err = gitops(capsys, "--format", "sarif", "--output", "out/v.sarif", ".")
    assert (code, out) == (1, "")
    assert "validate: wrote out/v.sarif" in err
    assert json.loads((files / "out/v.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("out", "error: --output out is a folder; give a file in it, e.g. out/validate.sarif"),
        ("missing/dir/v.sarif", "error: --output missing/dir/v.sarif: the folder missing/dir does"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_any_work(
    files: Path, capsys, output: str, message: str
) -> None:
    (files / "out").mkdir()
    code, out, err = gitops(capsys, "--format", "sarif", "--output", output, ".")
    assert (code, out) == (2, "")
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1
    assert not (files / "missing").exists()


def test_list_rules(capsys) -> None:
    code, out, _ = gitops(capsys, "--list-rules")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(all_rules())
    assert re.match(r"^GB001  error +yaml-syntax +The file is not valid YAML", lines[0])
    assert any(re.match(r"^GB104  warning  deprecated-api-version ", line) for line in lines)
    listed = json.loads(gitops(capsys, "--list-rules", "--format", "json")[1])
    assert {r["id"] for r in listed} == set(all_rules())
    assert all(r["summary"] and r["remediation"] for r in listed)


def test_the_corpus_through_the_command_line(capsys, monkeypatch, fixtures_dir) -> None:
    monkeypatch.chdir(fixtures_dir / "validate-corpus")
    code, out, _ = gitops(capsys, "schema-errors.yaml", "removed-apis.yaml")
    assert code == 1
    assert (
        "schema-errors.yaml:12: error GB101 Deployment/guestbook/web: unknown field 'replcas'"
        in out
    )
    assert "removed-apis.yaml:3: error GB102 Deployment/old-web: " in out


def test_runs_as_a_module(files: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gitops", "validate", "broken.yaml"],
        capture_output=True,
        text=True,
        check=False,
        cwd=files,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("broken.yaml:6: error GB101 Service/web: ")


def test_list_rules_says_what_gb230_covers(capsys) -> None:
    code, out, err = gitops(capsys, "--list-rules")
    assert code == 0
    assert any(line.startswith("GB105  error    crd-validation-rule") for line in out.splitlines())
    assert re.search(r"GB105 evaluates \d+ of the \d+ CEL rules of the \d+ vendored CRD", err)


def test_cel_report(capsys, monkeypatch, fixtures_dir) -> None:
    monkeypatch.chdir(fixtures_dir / "validate-corpus")
    code, out, _ = gitops(capsys, "--cel-report", "cel-crd-in-set.yaml")
    assert code == 0  # a report, not the gate
    assert "this run: 2 objects, 18 rule evaluations, 8 failed (GB105 findings)" in out
    assert "CRDs in the set: 11 rules in 1 CRD version" in out
    assert "Gadget example.com/v1 (CRD in cel-crd-in-set.yaml) .spec: !has(self.endpoint)" in out
    assert "undeclared reference to 'isURL'" in out
    assert ".spec: self.mode == oldSelf.mode" in out
    report = json.loads(gitops(capsys, "--cel-report", "--format", "json", "cel-flux.yaml")[1])
    assert report["run"] == {"objects": 3, "evaluations": 6, "failed": 4, "couldNotEvaluate": 0}
    assert report["vendored"]["unevaluable"] == 0
    assert report["transitionRulesSkipped"]


def test_rules_that_could_not_be_evaluated_are_said_on_stderr(capsys, tmp_path) -> None:
    route = tmp_path / "route.yaml"
    route.write_text(  # not a duration: the timeouts rule cannot run (GB101 says why)
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"
        "spec:\n  rules:\n    - timeouts: {request: 10 seconds, backendRequest: 5s}\n"
    )
    code, out, err = gitops(capsys, str(route))
    assert code == 1
    assert "GB101" in out
    assert "GB105" not in out
    assert "1 evaluation(s) of CRD CEL rules could not be done (never a finding)" in err
