"""The cluster-state diff as people read it: plain text in a terminal, markdown in a PR comment.

Each environment starts with its summary line and the risks a reviewer must see; then each
object, with what changed in it (`image a → b`, `data.LOG_LEVEL: info → DEBUG`, a generated
ConfigMap's rename) and its unified diff. A PR comment has a size limit: every environment keeps
its summary and risks, and the room left for diffs is shared fairly between environments, so a
large change in one never hides another.
"""

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
_CUT = "… (cut: too long for a PR comment)\n"


def summary_line(diffs: Sequence[EnvironmentDiff]) -> str:
    """`dev: 1 changed (Deployment/guestbook-dev/web: image a → b); prod: no change`."""
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
            shown = [describe(c) for c in changes[:_DETAILS_SHOWN]]
            if len(changes) > _DETAILS_SHOWN:
                shown.append(f"and {len(changes) - _DETAILS_SHOWN} more")
            text += f" ({'; '.join(shown)})"
        parts.append(text)
    risk = f", {len(diff.risks)} risk(s)" if diff.risks else ""
    return f"{diff.env}: {', '.join(parts)}{risk}"


def describe(change: ObjectChange) -> str:
    """One object's change in a line: its ref, a rename, its images and first fields."""
    if change.status != "changed":
        return change.ref
    what = []
    if change.renamed_from:
        what.append(f"renamed from {change.renamed_from}")
    pairs = dict.fromkeys((i.old, i.new) for i in change.images)
    what += [f"image {old} → {new}" for old, new in pairs]
    if change.fields:
        fields = [f.describe() for f in change.fields[:_FIELDS_SHOWN]]
        if len(change.fields) > _FIELDS_SHOWN:
            fields.append(f"+{len(change.fields) - _FIELDS_SHOWN} more")
        what.append(", ".join(fields))
    return f"{change.ref}: {'; '.join(what)}" if what else change.ref


def format_text(diffs: Sequence[EnvironmentDiff], base_label: str) -> str:
    out = [f"cluster-state diff: {base_label} → work tree", ""]
    for diff in diffs:
        out.append(f"== {environment_summary(diff)} ==")
        out += [f"RISK: {risk}" for risk in diff.risks]
        for change in diff.changes:
            out.append(f"{change.status} {describe(change)}  [{change.file}]")
            out.append(change.patch.rstrip("\n"))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def format_markdown(
    diffs: Sequence[EnvironmentDiff], base_label: str, limit: int = GITHUB_COMMENT_LIMIT
) -> str:
    """A PR comment: marker, one-line summary, one collapsible section per environment (its
    summary and risks always there) with ```diff blocks; the room for the blocks is shared
    fairly between environments, and blocks that do not fit are cut or left out, with a note."""
    head = [MARKER, f"**Cluster-state diff** against `{base_label}`: {summary_line(diffs)}", ""]
    skeleton = _render(head, diffs, patches={}, cut=True)
    if len(skeleton) > limit:  # even the summaries do not fit: keep the first line only
        return "\n".join([*head[:2], "", _cut_notice(), ""])[:limit]
    shares = _fair_shares(diffs, limit - len(skeleton))
    patches: dict[tuple[str, int], str] = {}
    cut = False
    for diff in diffs:
        fitted, whole = _fit(diff, shares.get(diff.env, 0))
        patches.update(fitted)
        cut = cut or not whole
    return _render(head, diffs, patches, cut=cut)


def _cost(change: ObjectChange) -> int:
    return len(_fenced(change.patch)) + len(_object_heading(change)) + 4


def _fair_shares(diffs: Sequence[EnvironmentDiff], budget: int) -> dict[str, int]:
    """Split `budget` between environments: none gets more than it needs, and what one does not
    need goes to the others in equal parts (water-filling)."""
    needs = {d.env: sum(_cost(c) for c in d.changes) for d in diffs if d.changes}
    shares: dict[str, int] = {}
    left, waiting = max(budget, 0), sorted(needs, key=lambda env: needs[env])
    while waiting:
        share = left // len(waiting)
        env = waiting.pop(0)
        shares[env] = min(needs[env], share)
        left -= shares[env]
    return shares


def _fit(diff: EnvironmentDiff, room: int) -> tuple[dict[tuple[str, int], str], bool]:
    """The blocks of one environment that fit in `room`, in order (the first that does not fit
    is cut to what remains, the rest are left out), and whether all of them fit whole."""
    chosen: dict[tuple[str, int], str] = {}
    for index, change in enumerate(diff.changes):
        cost = _cost(change)
        if cost <= room:
            chosen[(diff.env, index)] = _fenced(change.patch)
            room -= cost
            continue
        lines, taken = change.patch.splitlines(keepends=True), []
        space = room - len(_object_heading(change)) - 40 - len(_CUT)
        for line in lines:
            if space - len(line) < 0:
                break
            taken.append(line)
            space -= len(line)
        if taken:
            chosen[(diff.env, index)] = _fenced("".join(taken) + _CUT)
        return chosen, False
    return chosen, True


def _cut_notice() -> str:
    return (
        f"> **Note:** the diff was cut to fit GitHub's comment limit ({GITHUB_COMMENT_LIMIT:,} "
        "characters); run `nox -s diff` locally to see all of it."
    )


def _render(
    head: list[str],
    diffs: Sequence[EnvironmentDiff],
    patches: dict[tuple[str, int], str],
    *,
    cut: bool,
) -> str:
    out = list(head)
    if cut:
        out += [_cut_notice(), ""]
    for diff in diffs:
        out += [f"<details><summary>{environment_summary(diff)}</summary>", ""]
        out += [f"> :warning: **Risk:** {risk}" for risk in diff.risks]
        if diff.risks:
            out.append("")
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
    return f"**{change.status}** {describe(change)} (`{change.file}`)"


def _fenced(patch: str) -> str:
    fence = "```"
    while fence in patch:
        fence += "`"
    return f"{fence}diff\n{patch.rstrip(chr(10))}\n{fence}"
