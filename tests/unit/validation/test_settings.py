"""`gitops.validation.settings` in pieces: ruff's selection layering, severities, globs, the lines
of TOML keys, and repository mode, which reads no configuration."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from gitops.validation.registry import all_rules
from gitops.validation.settings import (
    ALL,
    CommandLine,
    Layer,
    TomlLines,
    file_ignore,
    glob_regex,
    load_settings,
    repository_settings,
    resolve,
    severity_overrides,
    split_codes,
)

IDS = ["GB001", "GB101", "GB401", "GB402", "GB410", "GB417", "GB419"]
DEFAULT = Layer("default", select=(ALL,))


def on(*layers: Layer) -> list[str]:
    return sorted(resolve([DEFAULT, *layers], IDS))


def test_the_default_is_every_rule() -> None:
    assert on() == IDS


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        # select replaces; GB0xx stay on
        ([Layer("c", select=("GB41",))], ["GB001", "GB410", "GB417", "GB419"]),
        # the more specific code wins, whatever the kind
        ([Layer("c", select=("GB4",), ignore=("GB41",))], ["GB001", "GB401", "GB402"]),
        ([Layer("c", ignore=("GB4",), extend_select=("GB417",))], ["GB001", "GB101", "GB417"]),
        # at the same specificity ignore wins
        ([Layer("c", select=("GB417",), ignore=("GB417",))], ["GB001"]),
        # ALL is the least specific
        ([Layer("c", ignore=(ALL,), extend_select=("GB402",))], ["GB001", "GB402"]),
        # a later layer's select starts over: the earlier ignore is dropped
        (
            [Layer("config", select=("GB4",), ignore=("GB417",)), Layer("cli", select=("GB41",))],
            ["GB001", "GB410", "GB417", "GB419"],
        ),
        # without a select, a later layer adds to what came before
        (
            [Layer("config", select=("GB4",), ignore=("GB417",)), Layer("cli", ignore=("GB40",))],
            ["GB001", "GB410", "GB419"],
        ),
        (
            [Layer("config", ignore=("GB4",)), Layer("cli", extend_select=("GB4",))],
            IDS,
        ),
    ],
)
def test_selection_resolves_as_ruff_does(layers: list[Layer], expected: list[str]) -> None:
    assert on(*layers) == expected


def test_severities_most_specific_then_later_layer_wins() -> None:
    config = Layer("config", severity=(("GB417", "error"), ("GB4", "warning")))
    assert severity_overrides([config], IDS) == {
        "GB401": "warning", "GB402": "warning", "GB410": "warning", "GB417": "error",
        "GB419": "warning",
    }  # fmt: skip
    cli = Layer("cli", severity=(("GB41", "warning"), ("GB41", "error")))
    overrides = severity_overrides([config, cli], IDS)
    assert overrides["GB417"] == "error"  # --error beats --warn at the same specificity
    assert overrides["GB401"] == "warning"
    assert "GB001" not in severity_overrides([Layer("x", severity=((ALL, "warning"),))], IDS)


def test_split_codes() -> None:
    assert split_codes(["GB4,GB101", " GB3 ,", "ALL"]) == ["GB4", "GB101", "GB3", "ALL"]
    assert split_codes(None) is None


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("/p/vendor/**", ["/p/vendor/a.yaml", "/p/vendor/x/y/a.yaml"], ["/p/vendored/a.yaml"]),
        ("/p/**/crds/*.yaml", ["/p/crds/a.yaml", "/p/a/b/crds/c.yaml"], ["/p/crds/a/b.yaml"]),
        ("/p/*.json", ["/p/a.json"], ["/p/a/b.json", "/p/a.yaml"]),
        ("/p/app-?.yaml", ["/p/app-1.yaml"], ["/p/app-10.yaml"]),
        ("/p/[!a]*.yaml", ["/p/b.yaml"], ["/p/a.yaml"]),
        ("/p/[ab].yaml", ["/p/a.yaml"], ["/p/c.yaml"]),
        ("/p/a+b(1).yaml", ["/p/a+b(1).yaml"], ["/p/aab1.yaml"]),
    ],
)
def test_glob_regex(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = glob_regex(pattern)
    assert all(regex.fullmatch(m) for m in matches)
    assert not any(regex.fullmatch(m) for m in misses)


@pytest.mark.parametrize("pattern", ["a/[bc", "a/b**", "**x/y", "a/[z-a].yaml"])
def test_bad_globs(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        glob_regex(pattern)


def test_file_ignores_anchored_and_by_name() -> None:
    base = PurePosixPath("/repo")

    def fail(*args: object) -> Exception:
        raise AssertionError(args)

    for pattern in ("charts/**", "./charts", "charts/x"):
        anchored = file_ignore(pattern, ("GB4",), base, IDS, fail)
        assert anchored.matches(PurePosixPath("/repo/charts/x/a.yaml")), pattern
        assert not anchored.matches(PurePosixPath("/repo/apps/charts/x/a.yaml")), pattern
    by_name = file_ignore("charts/", ("GB4",), base, IDS, fail)  # a trailing / anchors nothing
    assert by_name.matches(PurePosixPath("/repo/apps/charts/a.yaml"))
    assert not by_name.matches(PurePosixPath("/elsewhere/charts/a.yaml"))  # only below /repo
    assert by_name.rules == {"GB401", "GB402", "GB410", "GB417", "GB419"}
    up = file_ignore("../shared/*.yaml", (ALL,), base, IDS, fail)
    assert up.matches(PurePosixPath("/shared/a.yaml"))
    assert "GB001" not in up.rules


def test_toml_lines() -> None:
    text = (
        '[project]\nname = "x"\n\n[tool.gitops.validate]\nselect = [\n  "GB4",\n  "GB9",\n]\n'
        'severity = { GB4 = "warning" }\n"quoted-key" = 1\nper-file-ignores."a/*" = ["GB4"]\n\n'
        '[tool.gitops.validate.severity]\nGB41 = "error"\n'
    )
    lines = TomlLines(text)
    table = ("tool", "gitops", "validate")
    assert lines.line(table) == 4
    assert lines.line((*table, "select")) == 5
    assert lines.line((*table, "select"), "GB9") == 7
    assert lines.line((*table, "severity", "GB4")) == 9  # inline table: its key's line
    assert lines.line((*table, "quoted-key")) == 10
    assert lines.line((*table, "per-file-ignores", "a/*")) == 11
    assert lines.line((*table, "severity", "GB41")) == 14
    assert lines.line(("nothing",)) is None


def test_repository_mode_reads_no_config(tmp_path: Path) -> None:
    """Even with a config that turns everything off, repository mode runs every rule at its
    registered severity."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.gitops.validate]\nignore = ["ALL"]\n\n[tool.gitops.validate.severity]\n'
        'GB = "warning"\n'
    )
    rules = all_rules()
    path_mode = load_settings(CommandLine(), rules, tmp_path)
    assert {rid for rid in rules if path_mode.severity(rid)} == {
        rid for rid in rules if rid.startswith("GB0")
    }
    settings = repository_settings(rules, tmp_path)
    assert settings.repository and settings.config is None
    assert {rid: settings.severity(rid) for rid in rules} == {
        rid: rule.severity for rid, rule in rules.items()
    }
    assert "pyproject.toml has one: it applies to `validate PATH...` only" in settings.config_note
