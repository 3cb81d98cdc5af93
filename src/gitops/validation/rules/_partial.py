"""What a cross-object rule says when the object it looks for is not in the set.

An environment of this repository is complete: what its objects refer to must be among them, and
an absent ConfigMap, ServiceAccount, Service or a selector's pods is an error. Plain files given
on the command line are usually a part of something larger, so there the same absence is a
warning that says the object is "not among the given files", unless `--complete` declares them
to be everything the cluster receives (`Facts.complete`).
"""

from __future__ import annotations

from gitops.validation.model import Context, FieldPath, Issue, Manifest

NOT_GIVEN = "not among the given files"


def absent(ctx: Context, manifest: Manifest, path: FieldPath, complete: str, partial: str) -> Issue:
    """`complete` (the rule's own error) in a complete set; else the warning `partial`, which
    must say why the object may exist all the same (it names NOT_GIVEN)."""
    if ctx.facts.complete:
        return Issue(manifest, path, complete)
    return Issue(manifest, path, partial, "warning")
