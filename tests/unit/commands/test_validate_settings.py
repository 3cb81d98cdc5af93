"""`gitops validate PATH...` configured as ruff is: --select, --ignore, --extend-select, --warn,
--error, [tool.gitops.validate] of the nearest pyproject.toml, --config, --show-settings, the
summary line, stdin and .json inputs. The manifests are the rule and corpus fixtures of
tests/fixtures/."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from gitops import cli
from gitops.validation.registry import all_rules

SUMMARY = re.compile(
    r"^validate: (?P<objects>\d+) objects? in (?P<files>\d+) files? "
    r"\(Kubernetes (?P<version>[\d.]+)\): "
    r"(?P<found>no findings|\d+ errors?, \d+ warnings?), \d+\.\d\d s$"
)
WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: apps
spec:
  size: 1
  colour: red
"""


def gitops(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rules_in(out: str) -> set[str]:
    return {line.split()[2] for line in out.splitlines()}


def severities(out: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for line in out.splitlines():
        _, severity, rule = line.split()[:3]
        found.setdefault(rule, set()).add(severity)
    return found


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path) -> Path:
    """A project with real manifests: policy.yaml (every policy rule and a few schema ones) and
    deprecated-apis.yaml, the working directory."""
    shutil.copy(fixtures_dir / "validate-rules/bad/policy.yaml", tmp_path / "policy.yaml")
    shutil.copy(fixtures_dir / "validate-corpus/deprecated-apis.yaml", tmp_path / "apis.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config(folder: Path, text: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(f'[project]\nname = "manifests"\n\n[tool.gitops.validate]\n{text}')
    return path


# ---- selection


def test_by_default_every_rule_reports(project: Path, capsys) -> None:
    code, out, _ = gitops(capsys, "policy.yaml")
    assert code == 1
    assert {"GB101", "GB103", "GB401", "GB407", "GB415", "GB417", "GB419"} <= rules_in(out)


def test_select_turns_on_only_the_codes_given(project: Path, capsys) -> None:
    code, out, _ = gitops(capsys, "--select", "GB415,GB419", "policy.yaml")
    assert (code, rules_in(out)) == (1, {"GB415", "GB419"})
    config(project, 'select = ["GB419"]\n')
    assert rules_in(gitops(capsys, "policy.yaml")[1]) == {"GB419"}


def test_select_is_repeatable_and_comma_separated(project: Path, capsys) -> None:
    _, out, _ = gitops(capsys, "--select", "GB415", "--select", "GB417, GB419", "policy.yaml")
    assert rules_in(out) == {"GB415", "GB417", "GB419"}


def test_ignore_turns_codes_off(project: Path, capsys) -> None:
    _, all_out, _ = gitops(capsys, "policy.yaml")
    _, out, _ = gitops(capsys, "--ignore", "GB407,GB412", "--ignore", "GB101", "policy.yaml")
    assert rules_in(out) == rules_in(all_out) - {"GB407", "GB412", "GB101"}
    config(project, 'ignore = ["GB407"]\n')
    assert rules_in(gitops(capsys, "policy.yaml")[1]) == rules_in(all_out) - {"GB407"}


def test_extend_select_adds_to_the_selection(project: Path, capsys) -> None:
    config(project, 'select = ["GB1"]\nextend-select = ["GB419"]\n')
    assert rules_in(gitops(capsys, "policy.yaml")[1]) == {"GB101", "GB103", "GB419"}
    _, out, _ = gitops(capsys, "--extend-select", "GB415", "policy.yaml")
    assert rules_in(out) == {"GB101", "GB103", "GB415", "GB419"}


def test_prefixes_select_every_rule_that_starts_with_them(project: Path, capsys) -> None:
    _, out, _ = gitops(capsys, "--select", "GB40", "policy.yaml")
    assert rules_in(out) == {"GB401", "GB402", "GB403", "GB404", "GB405", "GB406", "GB407"}
    # the more specific code wins, in either direction
    _, out, _ = gitops(capsys, "--select", "GB40", "--ignore", "GB403", "policy.yaml")
    assert "GB403" not in rules_in(out) and "GB402" in rules_in(out)
    _, out, _ = gitops(capsys, "--ignore", "GB4", "--extend-select", "GB415", "policy.yaml")
    assert {r for r in rules_in(out) if r.startswith("GB4")} == {"GB415"}


def test_all_selects_every_rule(project: Path, capsys) -> None:
    config(project, 'select = ["GB419"]\n')
    _, everything, _ = gitops(capsys, "--select", "ALL", "policy.yaml")
    assert {"GB101", "GB401", "GB415", "GB419"} <= rules_in(everything)
    config(project, 'ignore = ["ALL"]\nextend-select = ["GB401"]\n')
    assert rules_in(gitops(capsys, "policy.yaml")[1]) == {"GB401"}


def test_gb0_rules_stay_on_whatever_is_selected(project: Path, capsys) -> None:
    (project / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nkind: Secret\n")
    code, out, _ = gitops(capsys, "--select", "GB419", "broken.yaml", "policy.yaml")
    assert code == 1
    assert rules_in(out) == {"GB002", "GB419"}


# ---- severities


def test_warn_and_error_override_severities_most_specific_wins(project: Path, capsys) -> None:
    code, out, _ = gitops(capsys, "--select", "GB4", "--warn", "GB4", "policy.yaml")
    assert code == 0
    assert set().union(*severities(out).values()) == {"warning"}
    code, out, _ = gitops(
        capsys, "--select", "GB4", "--error", "GB401", "--warn", "GB4", "policy.yaml"
    )
    assert code == 1
    found = severities(out)
    assert found.pop("GB401") == {"error"}
    assert set().union(*found.values()) == {"warning"}


def test_severity_table_in_the_config(project: Path, capsys) -> None:
    config(project, 'select = ["GB4"]\n\n[tool.gitops.validate.severity]\nGB4 = "warning"\n'
                    'GB419 = "error"\n')  # fmt: skip
    code, out, _ = gitops(capsys, "policy.yaml")
    assert code == 1
    assert severities(out)["GB419"] == {"error"}
    assert severities(out)["GB401"] == {"warning"}


def test_sarif_lists_the_rules_on_at_their_severity(project: Path, capsys) -> None:
    _, out, _ = gitops(
        capsys, "--format", "sarif", "--select", "GB41", "--warn", "GB415", "policy.yaml"
    )
    (run,) = json.loads(out)["runs"]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
    assert levels["GB415"] == "warning" and levels["GB410"] == "error"
    assert "GB401" not in levels and "GB001" in levels
    assert {r["level"] for r in run["results"] if r["ruleId"] == "GB415"} == {"warning"}


# ---- per-file-ignores


def test_per_file_ignores_by_glob_relative_to_the_config_folder(
    project: Path, capsys, monkeypatch
) -> None:
    for folder in ("vendor/charts", "own"):
        (project / folder).mkdir(parents=True)
        shutil.copy(project / "policy.yaml", project / folder / "policy.yaml")
    config(project, '[tool.gitops.validate.per-file-ignores]\n"vendor/**" = ["GB4"]\n'
                    '"own/*.yaml" = ["GB419"]\n')  # fmt: skip
    monkeypatch.chdir(project / "own")  # globs stay relative to the config's folder
    code, out, _ = gitops(capsys, "../vendor", ".")
    assert code == 1
    by_file: dict[str, set[str]] = {}
    for line in out.splitlines():
        by_file.setdefault(line.split(":")[0], set()).add(line.split()[2])
    assert not {r for r in by_file["../vendor/charts/policy.yaml"] if r.startswith("GB4")}
    assert "GB101" in by_file["../vendor/charts/policy.yaml"]
    assert "GB419" not in by_file["policy.yaml"] and "GB401" in by_file["policy.yaml"]


def test_a_glob_without_a_slash_matches_file_and_folder_names(project: Path, capsys) -> None:
    (project / "generated").mkdir()
    shutil.copy(project / "policy.yaml", project / "generated" / "policy.yaml")
    _, apis, _ = gitops(capsys, "apis.yaml")
    assert "GB311" in rules_in(apis)
    config(project, '[tool.gitops.validate.per-file-ignores]\n"generated" = ["ALL"]\n'
                    '"apis.*" = ["GB311"]\n')  # fmt: skip
    _, out, _ = gitops(capsys, "generated", "apis.yaml")
    assert "generated/" not in out
    assert rules_in(out) == rules_in(apis) - {"GB311"}


# ---- facts


def test_kubernetes_version_from_the_config(project: Path, capsys) -> None:
    _, out, err = gitops(capsys, "apis.yaml")
    assert "GB102" in rules_in(out) and "(Kubernetes 1.33)" in err
    config(project, 'kubernetes-version = "1.25"\n')
    _, out, err = gitops(capsys, "apis.yaml")
    assert "GB104" in rules_in(out) and "(Kubernetes 1.25)" in err


def test_custom_resources_from_the_config(project: Path, capsys, fixtures_dir: Path) -> None:
    shutil.copy(fixtures_dir / "validate-corpus/unknown-kinds.yaml", project / "kinds.yaml")
    _, before, _ = gitops(capsys, "kinds.yaml")
    assert "Gadget/" in before
    config(project, 'custom-resources = ["acme.example.com/v1/Gadget"]\n')
    _, after, _ = gitops(capsys, "kinds.yaml")
    assert "Gadget/" not in after and "Deploymnet/" in after


def test_crd_paths_give_the_schemas_of_custom_resources(
    project: Path, capsys, fixtures_dir: Path
) -> None:
    (project / "widget.yaml").write_text(WIDGET)
    (project / "crds").mkdir()
    shutil.copy(fixtures_dir / "validate-crds/widget-crd.yaml", project / "crds/widget.yaml")
    _, out, _ = gitops(capsys, "widget.yaml")
    assert rules_in(out) == {"GB103"}  # no schema: unknown kind
    config(project, 'crd-paths = ["crds/"]\n')
    code, out, err = gitops(capsys, "widget.yaml")
    assert code == 1
    assert out.startswith("widget.yaml:8: error GB101 Widget/apps/w: unknown field 'colour'")
    assert "1 object in 1 file" in err  # the CRDs are schemas, not validated objects
    (project / "pyproject.toml").unlink()
    assert rules_in(gitops(capsys, "--crd-path", "crds", "widget.yaml")[1]) == {"GB101"}


def test_a_crd_path_without_any_crd_is_a_configuration_error(project: Path, capsys) -> None:
    config(project, 'crd-paths = ["apis.yaml"]\n')
    code, out, err = gitops(capsys, "policy.yaml")
    assert (code, out) == (2, "")
    assert "no CustomResourceDefinition in" in err


def test_require_digests_and_namespace_from_the_config(project: Path, capsys) -> None:
    (project / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {selector: {app: web}, ports: [{port: 80}]}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: apps, labels: {app: web}}\n"
        "spec:\n  containers: [{name: c, image: 'nginx:1.27'}]\n"
    )
    _, out, _ = gitops(capsys, "--select", "GB3,GB414", "pod.yaml")
    assert "GB414" not in rules_in(out)
    assert "GB302" in rules_in(out)  # the Service is in namespace default, the pod is not
    config(project, 'require-digests = true\nnamespace = "apps"\n')
    _, out, _ = gitops(capsys, "--select", "GB3,GB414", "pod.yaml")
    assert "GB414" in rules_in(out) and "GB302" not in rules_in(out)
    _, out, _ = gitops(capsys, "--select", "GB3,GB414", "--no-require-digests", "pod.yaml")
    assert "GB414" not in rules_in(out)


# ---- where the settings come from


def test_the_command_line_beats_the_config(project: Path, capsys) -> None:
    config(project, 'select = ["GB1"]\nkubernetes-version = "1.25"\n\n'
                    '[tool.gitops.validate.severity]\nGB1 = "warning"\n')  # fmt: skip
    code, out, err = gitops(capsys, "apis.yaml")
    assert code == 0 and "(Kubernetes 1.25)" in err
    code, out, err = gitops(
        capsys, "--kubernetes-version", "1.33", "--error", "GB1", "--select", "GB10", "apis.yaml"
    )
    assert code == 1 and "(Kubernetes 1.33)" in err
    assert severities(out) == {"GB102": {"error"}}
    # --select starts over: the config's ignore goes with its select
    config(project, 'select = ["GB4"]\nignore = ["GB419"]\n')
    assert "GB419" in rules_in(gitops(capsys, "--select", "GB419", "policy.yaml")[1])


def test_the_nearest_pyproject_with_the_table_is_found_from_a_subfolder(
    project: Path, capsys, monkeypatch
) -> None:
    config(project, 'select = ["GB419"]\n')
    (project / "a/b").mkdir(parents=True)
    (project / "a/pyproject.toml").write_text("[tool.ruff]\n")  # without the table: skipped
    monkeypatch.chdir(project / "a/b")
    code, out, _ = gitops(capsys, "../../policy.yaml")
    assert (code, rules_in(out)) == (0, {"GB419"})
    (project / "a/pyproject.toml").write_text('[tool.gitops.validate]\nselect = ["GB415"]\n')
    assert rules_in(gitops(capsys, "../../policy.yaml")[1]) == {"GB415"}


def test_config_names_a_file(project: Path, capsys, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("settings")
    config(elsewhere, 'select = ["GB419"]\n')
    config(project, 'select = ["GB415"]\n')
    _, out, _ = gitops(capsys, "--config", str(elsewhere / "pyproject.toml"), "policy.yaml")
    assert rules_in(out) == {"GB419"}
    code, _, err = gitops(capsys, "--config", "missing.toml", "policy.yaml")
    assert code == 2 and "--config missing.toml: no such file" in err
    (project / "other.toml").write_text("[tool.ruff]\n")
    code, _, err = gitops(capsys, "--config", "other.toml", "policy.yaml")
    assert (code, err) == (2, "error: other.toml: there is no [tool.gitops.validate] table in it\n")


def test_show_settings_names_where_each_value_came_from(project: Path, capsys) -> None:
    config(project, 'ignore = ["GB417"]\nkubernetes-version = "1.32"\n\n'
                    '[tool.gitops.validate.per-file-ignores]\n"vendor/**" = ["GB4"]\n')  # fmt: skip
    code, out, err = gitops(capsys, "--show-settings", "--warn", "GB41", "policy.yaml")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "# validate: PATH mode"
    assert lines[1].startswith("config = pyproject.toml  # the nearest pyproject.toml with ")
    assert 'select = ["ALL"]  # default' in lines
    assert 'ignore = ["GB417"]  # pyproject.toml' in lines
    assert 'severity = {GB41 = "warning"}  # command line' in lines
    assert 'per-file-ignores = {"vendor/**" = ["GB4"]}  # pyproject.toml' in lines
    assert 'kubernetes-version = "1.32"  # pyproject.toml' in lines
    assert "require-digests = false  # default" in lines
    rules = {line.split()[0]: line.split()[1] for line in lines if line.startswith("GB")}
    assert set(rules) == set(all_rules())
    assert (rules["GB417"], rules["GB415"], rules["GB401"], rules["GB001"]) == (
        "off", "warning", "error", "error"
    )  # fmt: skip
    assert f"# rules: {len(all_rules()) - 1} of {len(all_rules())} on" in out


# ---- mistakes in the configuration: one line, the file and line, exit 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('selct = ["GB4"]\n', "5: unknown key 'selct' in [tool.gitops.validate]; did you mean "
                              "'select'?"),
        ('select = [\n  "GB4",\n  "GB9",\n]\n', "7: [tool.gitops.validate] select: no rule is GB9 "
                                                "or starts with it"),
        ('ignore = ["gb4"]\n', "5: [tool.gitops.validate] ignore: 'gb4' is not a rule code or "
                               "prefix"),
        ('ignore = ["GB001"]\n', "5: [tool.gitops.validate] ignore: GB001 cannot be ignored"),
        ('select = "GB4"\n', "5: [tool.gitops.validate] select: must be an array of strings, not "
                             "a string"),
        ('kubernetes-version = 1.30\n', "5: [tool.gitops.validate] kubernetes-version: must be a "
                                        'string, not a number (quote it: "1.30" is not 1.3)'),
        ('kubernetes-version = "latest"\n', "5: [tool.gitops.validate] kubernetes-version: takes "
                                            'a version like "1.33"'),
        ('custom-resources = ["Widget"]\n', "5: [tool.gitops.validate] custom-resources: takes "
                                            "apiVersion/Kind"),
        ('crd-paths = ["crds/"]\n', "5: [tool.gitops.validate] crd-paths: crds/: no such file"),
        ('severity = "warning"\n', "5: [tool.gitops.validate] severity: must be a table, not a "
                                   "string"),
        ('[tool.gitops.validate.severity]\nGB4 = "warn"\n', '6: [tool.gitops.validate] '
                                                           'severity.GB4: must be "error" or '
                                                           '"warning", not "warn"'),
        ('[tool.gitops.validate.per-file-ignores]\n"vendor/[ab.yaml" = ["GB4"]\n',
         "6: [tool.gitops.validate] per-file-ignores.\"vendor/[ab.yaml\": bad glob "
         "'vendor/[ab.yaml': a '[' is never closed with ']'"),
        ('[tool.gitops.validate.per-file-ignores]\n"vendor/a**" = ["GB4"]\n',
         "6: [tool.gitops.validate] per-file-ignores.\"vendor/a**\": bad glob 'vendor/a**': '**' "
         "must be a whole path segment"),
        ('[tool.gitops.validate.per-file-ignores]\n"x/*" = "GB4"\n',
         '6: [tool.gitops.validate] per-file-ignores."x/*": must be an array of rule codes'),
        ('select = ["GB4"\n', "5: not valid TOML: Unclosed array at the end of the file"),
        ("require-digests = 1\n", "5: [tool.gitops.validate] require-digests: must be true or "
                                  "false, not an integer"),
    ],
)  # fmt: skip
def test_a_bad_config_is_one_line_with_file_and_line_and_exit_2(
    project: Path, capsys, text: str, message: str
) -> None:
    config(project, text)
    code, out, err = gitops(capsys, "policy.yaml")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: pyproject.toml:{message}"), err
    assert len(err.splitlines()) == 1


def test_a_table_that_is_not_a_table(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.gitops]\nvalidate = ["GB4"]\n')
    code, _, err = gitops(capsys, "policy.yaml")
    assert code == 2
    assert err.startswith("error: pyproject.toml:2: tool.gitops.validate must be a table")


def test_bad_codes_on_the_command_line_exit_2(project: Path, capsys) -> None:
    for args, message in [
        (("--select", "GB9"), "--select: no rule is GB9 or starts with it"),
        (("--ignore", "GB0"), "--ignore: GB0 cannot be ignored or re-graded"),
        (("--warn", "E501"), "--warn: 'E501' is not a rule code or prefix"),
        (("--crd-path", "nope"), "--crd-path nope: no such file or folder"),
    ]:
        code, out, err = gitops(capsys, *args, "policy.yaml")
        assert (code, out) == (2, ""), args
        assert err.startswith(f"error: {message}"), err


# ---- inputs: stdin and .json


def test_stdin(project: Path, capsys, monkeypatch, fixtures_dir: Path) -> None:
    data = (fixtures_dir / "validate-corpus/schema-errors.yaml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = gitops(capsys, "-")
    assert code == 1
    assert out.splitlines()[0].startswith("<stdin>:")
    assert "error GB101 Deployment/guestbook/web: unknown field 'replcas'" in out
    assert re.search(r"objects? in 1 file ", err)
    assert gitops(capsys, "-", "-")[0] == 2


def test_json_on_stdin_indented_with_tabs(project: Path, capsys, monkeypatch) -> None:
    document = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"prots": [{"port": 80}]}}  # fmt: skip
    data = json.dumps(document, indent="\t").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    _, out, _ = gitops(capsys, "--select", "GB1", "-")
    assert out == (
        "<stdin>:8: error GB101 Service/web: unknown field 'prots' in spec: did you mean 'ports'?\n"
    )


def test_json_files_are_read_like_yaml(project: Path, capsys) -> None:
    (project / "json").mkdir()
    document = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"selector": {"app": "web"}, "prots": [{"port": 80}]}}  # fmt: skip
    (project / "json/service.json").write_text(json.dumps(document, indent="\t"))
    (project / "json/notes.txt").write_text("not a manifest")
    code, out, err = gitops(capsys, "--select", "GB1", "json")
    assert code == 1
    assert out.startswith("json/service.json:11: error GB101 Service/web: unknown field 'prots'")
    assert "1 object in 1 file" in err


# ---- the summary line


def test_the_summary_line_in_path_mode(project: Path, capsys) -> None:
    _, out, err = gitops(capsys, "policy.yaml", "apis.yaml")
    match = SUMMARY.match(err.strip())
    assert match, err
    errors = sum(1 for line in out.splitlines() if " error " in line)
    warnings = sum(1 for line in out.splitlines() if " warning " in line)
    assert match["files"] == "2" and match["version"] == "1.33"
    assert int(match["objects"]) == 10 + 4
    assert match["found"] == f"{errors} errors, {warnings} warnings"
    assert len(err.splitlines()) == 1  # and stdout holds findings only
    assert all(re.match(r"^[^:]+:\d+: (error|warning) GB\d{3} ", line) for line in out.splitlines())
