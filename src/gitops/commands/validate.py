"""Validate the repository's cluster state, or the manifests at PATH...

    nox -s validate                         the gate: committed clusters/ == a fresh render, then
                                            every environment against its own facts, and bootstrap/
    nox -s validate -- PATH...              plain manifests (files or folders of .yaml, .yml and
                                            .json; `-` reads one stream from stdin), default facts
    nox -s validate -- PATH --select GB1,GB2 --ignore GB417 --warn GB4
    nox -s validate -- PATH --show-settings     the effective settings and where each came from
    nox -s validate -- --complete PATH...   the files are all the cluster gets: what they refer to
                                            but do not contain is an error, not a warning
    nox -s validate -- --format sarif --output validate.sarif
    nox -s validate -- --list-rules
    nox -s validate -- --cel-report [PATH...]   what the CRDs' CEL rules (GB105) cover

One finding per line on stdout: `path:line: severity rule kind/namespace/name: message`; one
summary line on stderr (objects, files, the Kubernetes version, the findings, the time). In
repository mode a finding about an object names the file of apps/ it came from (base, component,
overlay) when that is certain, and ends with `(rendered: clusters/<env>/...:LINE)`; it stays at the
rendered file when kustomize or an overlay set the value (a patch, `images:`, the namespace, a name
prefix). JSON gives the rendered location as `rendered`, SARIF as a related location. Silence one
rule for one object with an annotation that says why:
    metadata.annotations: {ignore-check.gitops/GB407: "the image writes only to /tmp"}

PATH mode takes its rule selection, severities, per-file ignores and facts from the command line
and from [tool.gitops.validate] in the nearest pyproject.toml (or --config FILE), as ruff does:
`gitops.validation.settings` documents every key and how they combine. Repository mode reads no
configuration: the gate runs every rule at its registered severity.

When clusters/ differs from a fresh render (GB501) and clusters/.rendered-by names another
kustomize than the one rendering now, a note on stderr says so: the difference may be the tool's.
Exit 0 without errors (warnings allowed), 1 with any error, 2 on usage or configuration errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from gitops.errors import GitopsError, UsageError
from gitops.system.files import atomic_write
from gitops.validation.model import DEFAULT_KUBERNETES_VERSION, Finding
from gitops.validation.settings import CommandLine, Settings, split_codes
from gitops.validation.tally import Tally

FORMATS = ("text", "json", "sarif")
CODES = "CODES"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        type=Path,
        help="files or folders of manifests (.yaml, .yml, .json); - reads stdin",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument("--output", "-o", metavar="FILE", type=Path, help="write to FILE")
    parser.add_argument(
        "--list-rules", action="store_true", help="list every rule (id, severity, summary)"
    )
    parser.add_argument(
        "--cel-report",
        action="store_true",
        help="validate as usual, but print what the CRDs' CEL rules (GB105) cover instead of the "
        "findings: rules evaluated, transition rules skipped, rules that cannot be evaluated "
        "(CRD, path, expression, why), evaluations that failed in this run; exit 0",
    )
    parser.add_argument(
        "--show-settings",
        action="store_true",
        help="print the effective settings, where each came from, and every rule; exit 0",
    )
    rules = parser.add_argument_group(
        "rules in PATH mode (comma-separated codes or prefixes, repeatable: GB4, GB417, ALL)"
    )
    rules.add_argument("--select", action="append", metavar=CODES, help="only these rules")
    rules.add_argument(
        "--extend-select", action="append", default=[], metavar=CODES, help="these rules too"
    )
    rules.add_argument("--ignore", action="append", default=[], metavar=CODES, help="not these")
    rules.add_argument(
        "--warn", action="append", default=[], metavar=CODES, help="report these as warnings"
    )
    rules.add_argument(
        "--error", action="append", default=[], metavar=CODES, help="report these as errors"
    )
    rules.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="read [tool.gitops.validate] from FILE (default: the nearest pyproject.toml that "
        "has it, from the working directory upward)",
    )
    facts = parser.add_argument_group("facts for PATH mode (environments declare their own)")
    facts.add_argument(
        "--kubernetes-version",
        metavar="1.N",
        help=f"the cluster's Kubernetes version (default: {DEFAULT_KUBERNETES_VERSION})",
        default=None,
    )
    facts.add_argument(
        "--require-digests",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="every image must be pinned by digest",
    )
    facts.add_argument(
        "--namespace", metavar="NS", help="namespace of objects that name none (cross-object rules)"
    )
    facts.add_argument(
        "--complete",
        action="store_true",
        help="the files are everything the cluster receives: an object they refer to that is not "
        "among them (ConfigMap, Secret, ServiceAccount, a Service's pods...) is an error, not a "
        "warning",
    )
    facts.add_argument(
        "--custom-resource",
        action="append",
        default=[],
        metavar="APIVERSION/KIND",
        help="a custom resource the cluster serves, accepted without a schema (repeatable)",
    )
    facts.add_argument(
        "--crd-path",
        action="append",
        default=[],
        metavar="PATH",
        type=Path,
        help="a CRD file, or a folder of them, the cluster has (its schemas check its kinds)",
    )


def run(args: argparse.Namespace) -> int:
    from gitops.validation import cel, output
    from gitops.validation.cel import report
    from gitops.validation.registry import all_rules

    started = time.perf_counter()
    _check_output(args.output)
    rules = all_rules()
    if args.list_rules:
        fmt = "json" if args.format == "json" else "text"
        _emit(output.format_rules(rules, fmt), args.output)
        print(f"validate: {report.summary_line()}", file=sys.stderr)
        return 0
    settings = _settings(args)
    if args.show_settings:
        from gitops.validation.settings import describe

        _emit(describe(settings, Path.cwd()), args.output)
        return 0
    tally = Tally()
    cel.reset()
    findings = settings.apply(_validate(args, settings, tally))
    if args.cel_report:
        _emit(report.format_report("json" if args.format == "json" else "text"), args.output)
        return 0
    if args.format == "json":
        text = output.format_json(findings)
    elif args.format == "sarif":
        text = output.format_sarif(findings, settings.effective_rules())
    else:
        text = output.format_text(findings)
    _emit(text, args.output)
    if not args.paths and any(finding.rule == "GB501" for finding in findings):
        _note_tool_change()
    elapsed = time.perf_counter() - started
    print(f"validate: {tally.line(findings, elapsed)}", file=sys.stderr)
    unevaluated = sum(entry.count for entry in cel.STATS.unevaluated.values())
    if unevaluated:
        print(
            f"validate: {unevaluated} evaluation(s) of CRD CEL rules could not be done (never a "
            "finding); --cel-report lists them",
            file=sys.stderr,
        )
    return 1 if any(f.severity == "error" for f in findings) else 0


def _settings(args: argparse.Namespace) -> Settings:
    from gitops.validation.registry import all_rules
    from gitops.validation.settings import load_settings, repository_settings

    cli = CommandLine(
        config=args.config,
        select=split_codes(args.select),
        extend_select=split_codes(args.extend_select) or (),
        ignore=split_codes(args.ignore) or (),
        warn=split_codes(args.warn) or (),
        error=split_codes(args.error) or (),
        kubernetes_version=args.kubernetes_version,
        custom_resources=args.custom_resource,
        crd_paths=args.crd_path,
        require_digests=args.require_digests,
        namespace=args.namespace,
    )
    if args.paths:
        if sum(1 for path in args.paths if str(path) == "-") > 1:
            raise UsageError("- (stdin) can be given once")
        return load_settings(cli, all_rules(), Path.cwd())
    given = [*cli.given(), *(["--complete"] if args.complete else [])]
    if given:
        raise UsageError(
            f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to PATH mode only: "
            "in repository mode the gate runs every rule at its registered severity and each "
            "environment declares its facts in environment.yaml (one object opts out of one rule "
            "with an ignore-check.gitops/<rule> annotation that says why)"
        )
    return repository_settings(all_rules(), Path.cwd())


def _validate(args: argparse.Namespace, settings: Settings, tally: Tally) -> list[Finding]:
    if settings.repository:
        from gitops.repo.layout import Layout, find_root
        from gitops.validation.repository import validate_repository

        return validate_repository(Layout(find_root()), tally=tally)
    from gitops.validation.engine import validate_paths

    crds = settings.load_crds()
    facts = dataclasses.replace(settings.facts(), complete=args.complete)
    return validate_paths(args.paths, facts, crds=crds, tally=tally)


def _note_tool_change() -> None:
    """Say so when another kustomize rendered the committed clusters/ (see `render --check`)."""
    from gitops.render import renderedby
    from gitops.render.kustomize import find_kustomize
    from gitops.repo.layout import Layout, find_root

    try:
        note = renderedby.note(Layout(find_root()), find_kustomize())
    except GitopsError:
        return  # validate has said what stopped the render
    if note:
        print(f"validate: note: {note}", file=sys.stderr)


def _check_output(destination: Path | None) -> None:
    """Refuse an --output that cannot be written, before any work (folders are never made)."""
    if destination is None:
        return
    if destination.is_dir():
        raise UsageError(
            f"--output {destination} is a folder; give a file in it, e.g. "
            f"{destination / 'validate.sarif'}"
        )
    parent = destination.parent
    if not parent.is_dir():
        raise UsageError(f"--output {destination}: the folder {parent} does not exist; create it")


def _emit(text: str, destination: Path | None) -> None:
    if destination is None:
        sys.stdout.write(text)
    else:
        atomic_write(destination, text)
        print(f"validate: wrote {destination}", file=sys.stderr)
