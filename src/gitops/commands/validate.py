"""Validate the repository's cluster state, or the manifests at PATH...

    nox -s validate                         the gate: committed clusters/ == a fresh render, then
                                            every environment against its own facts, and bootstrap/
    nox -s validate -- PATH...              plain manifests (files or folders), default facts
    nox -s validate -- --format sarif --output validate.sarif
    nox -s validate -- --list-rules

One finding per line: `path:line: severity rule kind/namespace/name: message`. In repository mode
a finding about an object names the file of apps/ it came from (base, component, overlay) when
that is certain, and ends with `(rendered: clusters/<env>/...:LINE)`; it stays at the rendered file
when kustomize or an overlay set the value (a patch, `images:`, the namespace, a name prefix).
JSON gives the rendered location as `rendered`, SARIF as a related location. Silence one rule
for one object with an annotation that says why:
    metadata.annotations: {ignore-check.gitops/GB407: "the image writes only to /tmp"}
When clusters/ differs from a fresh render (GB501) and clusters/.rendered-by names another
kustomize than the one rendering now, a note on stderr says so: the difference may be the tool's.
Exit 0 without errors (warnings allowed), 1 with any error, 2 on usage or configuration errors.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from gitops.errors import GitopsError, UsageError
from gitops.system.files import atomic_write
from gitops.validation.model import DEFAULT_KUBERNETES_VERSION, Finding

FORMATS = ("text", "json", "sarif")
_VERSION = re.compile(r"^v?1\.\d+(\.\d+)?$")
_CUSTOM = re.compile(r"^([a-z0-9.-]+/)?v[0-9a-z]+/[A-Za-z][A-Za-z0-9]*$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", type=Path, help="files or folders of manifests"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument("--output", "-o", metavar="FILE", type=Path, help="write to FILE")
    parser.add_argument(
        "--list-rules", action="store_true", help="list every rule (id, severity, summary)"
    )
    facts = parser.add_argument_group("facts for PATH mode (environments declare their own)")
    facts.add_argument(
        "--kubernetes-version",
        metavar="1.N",
        help=f"the cluster's Kubernetes version (default: {DEFAULT_KUBERNETES_VERSION})",
        default=None,
    )
    facts.add_argument(
        "--require-digests", action="store_true", help="every image must be pinned by digest"
    )
    facts.add_argument(
        "--namespace", metavar="NS", help="namespace of objects that name none (cross-object rules)"
    )
    facts.add_argument(
        "--custom-resource",
        action="append",
        default=[],
        metavar="APIVERSION/KIND",
        help="a custom resource the cluster serves, accepted without a schema (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    from gitops.validation import output
    from gitops.validation.registry import all_rules

    _check_output(args.output)
    rules = all_rules()
    if args.list_rules:
        fmt = "json" if args.format == "json" else "text"
        _emit(output.format_rules(rules, fmt), args.output)
        return 0
    findings = _validate(args)
    if args.format == "json":
        text = output.format_json(findings)
    elif args.format == "sarif":
        text = output.format_sarif(findings, rules)
    else:
        text = output.format_text(findings)
    _emit(text, args.output)
    if not args.paths and any(finding.rule == "GB501" for finding in findings):
        _note_tool_change()
    print(f"validate: {output.summary_line(findings)}", file=sys.stderr)
    return 1 if any(f.severity == "error" for f in findings) else 0


def _validate(args: argparse.Namespace) -> list[Finding]:
    given = [args.kubernetes_version, args.require_digests or None, args.namespace]
    if not args.paths:
        if any(v is not None for v in given) or args.custom_resource:
            raise UsageError(
                "--kubernetes-version, --require-digests, --namespace and --custom-resource apply "
                "to PATH mode; each environment declares its own in environment.yaml"
            )
        from gitops.repo.layout import Layout, find_root
        from gitops.validation.repository import validate_repository

        return validate_repository(Layout(find_root()))
    from gitops.validation.engine import validate_paths
    from gitops.validation.model import Facts

    version = args.kubernetes_version or DEFAULT_KUBERNETES_VERSION
    if not _VERSION.match(version):
        raise UsageError(f"--kubernetes-version takes a version like 1.33, got {version!r}")
    for item in args.custom_resource:
        if not _CUSTOM.match(item):
            raise UsageError(
                f"--custom-resource takes apiVersion/Kind, e.g. example.com/v1/Widget, got {item!r}"
            )
    facts = Facts(
        kubernetes_version=".".join(version.lstrip("v").split(".")[:2]),
        require_digest=args.require_digests,
        namespace=args.namespace,
        custom_resources=tuple(args.custom_resource),
    )
    return validate_paths(args.paths, facts)


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
