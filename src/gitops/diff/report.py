"""The cluster-state diff as people read it: plain text in a terminal, markdown in a PR comment."""

from __future__ import annotations

from collections.abc import Sequence

from gitops.diff.objects import EnvironmentDiff, ObjectChange

MARKER = "<!-- gitops-diff -->"
"""Hidden first line of the PR comment, so a workflow finds and updates its own comment."""
GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a comment body longer than this ("Body is too long (maximum is 65536
characters)", the REST API's 422 for issue comments)."""
_DETAILS_SHOWN = 3
_FIELDS_SHOWN = 3


def summary_line(diffs: Sequence[EnvironmentDiff]) -> str:
    """`dev: 1 changed (Deployment guestbook-dev/web: image a → b); prod: no change`."""
    return "; ".join(environment_summary(d, detailed=True) for d in diffs) or "no environment"


def environment_summary(diff: EnvironmentDiff, *, detailed: bool = False) -> str:
    if diff.presence == "added":
        return f"{diff.env}: new environment ({len(diff.changes)} objects added)"
    if diff.presence == "removed":
        return f"{diff.env}: environment removed ({len(diff.changes)} objects removed)"
    if not diff.changes:
        return f"{diff.env}: no change"
    parts = []
    for status in ("added", "removed", "changed"):
        changes = [c for c in diff.changes if c.status == status]
        if not changes:
            continue
        text = f"{len(changes)} {status}"
        if detailed:
            shown = [_describe(c) for c in changes[:_DETAILS_SHOWN]]
            if len(changes) > _DETAILS_SHOWN:
                shown.append(f"and {len(changes) - _DETAILS_SHOWN} more")
            text += f" ({'; '.join(shown)})"
        parts.append(text)
    return f"{diff.env}: {', '.join(parts)}"


def _describe(change: ObjectChange) -> str:
    if change.status != "changed":
        return change.ref
    what = []
    pairs = dict.fromkeys((i.old, i.new) for i in change.images)
    what += [f"image {old} → {new}" for old, new in pairs]
    if change.fields:
        fields = list(change.fields[:_FIELDS_SHOWN])
        if len(change.fields) > _FIELDS_SHOWN:
            fields.append(f"+{len(change.fields) - _FIELDS_SHOWN} more")
        what.append(", ".join(fields))
    return f"{change.ref}: {', '.join(what)}" if what else change.ref


def format_text(diffs: Sequence[EnvironmentDiff], base_label: str) -> str:
    out = [f"cluster-state diff: {base_label} → work tree", ""]
    for diff in diffs:
        out.append(f"== {environment_summary(diff)} ==")
        for change in diff.changes:
            out.append(f"{change.status} {_describe(change)}  [{change.file}]")
            out.append(change.patch.rstrip("\n"))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def format_markdown(
    diffs: Sequence[EnvironmentDiff], base_label: str, limit: int = GITHUB_COMMENT_LIMIT
) -> str:
    """A PR comment: marker, one-line summary, one collapsible section per environment with
    ```diff blocks; patches are cut (with a notice) so that the whole stays within `limit`."""
    head = [
        MARKER,
        f"**Cluster-state diff** against `{base_label}`: {summary_line(diffs)}",
        "",
    ]
    skeleton = _render(head, diffs, patches={}, cut_notice=True)
    budget = limit - len(skeleton)
    patches: dict[tuple[str, int], str] = {}
    cut = False
    for diff in diffs:
        for index, change in enumerate(diff.changes):
            block = _fenced(change.patch)
            cost = len(block) + len(_object_heading(change)) + 4
            if cost <= budget:
                patches[(diff.env, index)] = block
                budget -= cost
                continue
            cut = True
            lines = change.patch.splitlines(keepends=True)
            taken = []
            room = budget - len(_object_heading(change)) - 200
            for line in lines:
                if room - len(line) < 0:
                    break
                taken.append(line)
                room -= len(line)
            if taken:
                block = _fenced("".join(taken) + "… (cut: too long for a PR comment)\n")
                patches[(diff.env, index)] = block
                budget -= len(block) + len(_object_heading(change)) + 4
            budget = min(budget, 0)
    return _render(head, diffs, patches, cut_notice=cut)


def _render(
    head: list[str],
    diffs: Sequence[EnvironmentDiff],
    patches: dict[tuple[str, int], str],
    *,
    cut_notice: bool,
) -> str:
    out = list(head)
    if cut_notice:
        out += [
            f"> **Note:** the diff was cut to fit GitHub's comment limit ({GITHUB_COMMENT_LIMIT:,} "
            "characters); run `nox -s diff` locally to see all of it.",
            "",
        ]
    for diff in diffs:
        out += [f"<details><summary>{environment_summary(diff)}</summary>", ""]
        if not diff.changes:
            out += ["No change.", ""]
        omitted = 0
        for index, change in enumerate(diff.changes):
            block = patches.get((diff.env, index))
            if block is None:
                omitted += 1
                continue
            out += [_object_heading(change), "", block, ""]
        if omitted:
            out += [f"*{omitted} more object(s) not shown here.*", ""]
        out += ["</details>", ""]
    return "\n".join(out)


def _object_heading(change: ObjectChange) -> str:
    return f"**{change.status}** {_describe(change)} (`{change.file}`)"


def _fenced(patch: str) -> str:
    fence = "```"
    while fence in patch:
        fence += "`"
    return f"{fence}diff\n{patch.rstrip(chr(10))}\n{fence}"
