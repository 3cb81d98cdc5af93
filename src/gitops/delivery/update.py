"""What bump, promote and rollback share: one image change of one environment, made on a new
branch as one transaction (edit the overlay, render once, validate that render, commit, publish).

The render made here is the one every later step uses: it is written into clusters/<env>/,
validated, and compared with the base for the pull request's body.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitops.delivery.branch import BranchChange, Outcome
from gitops.delivery.imageref import ImageRef
from gitops.delivery.overlay import edited_kustomization, kustomization_file
from gitops.delivery.target import Target, find_target
from gitops.errors import Refused
from gitops.render import renderedby, sync
from gitops.render.state import Rendered, render_all
from gitops.repo.git import GitRepo
from gitops.repo.layout import Layout
from gitops.system.files import atomic_write


@dataclass(frozen=True)
class ImageUpdate:
    """`target` moves from image `old` to image `new` (undoing commit `reverts`)."""

    target: Target
    old: ImageRef
    new: ImageRef
    reverts: str = ""


def check_facts(layout: Layout, target: Target, ref: ImageRef) -> None:
    """Refuse `ref` where the target's facts forbid it: no digest where one is required, or
    another repository than the one the app takes images from."""
    facts = layout.relative(target.facts_file)
    key = f"apps.{target.app.name}.image"
    if target.image.require_digest and not ref.digest:
        raise Refused(
            f"{target.name} requires images pinned by digest ({facts}: {key}.requireDigest: "
            f"true); give {ref.repository}@sha256:<digest> or {ref}@sha256:<digest>"
        )
    if ref.repository != target.image.repository:
        raise Refused(
            f"{ref} is not from {target.image.repository}, the repository {target.name} takes "
            f"images from; to move to another registry, change {key}.repository in {facts} first"
        )


def branch_suffix(ref: ImageRef) -> str:
    """A branch-name-safe short name: the tag, plus 8 digest digits when there is a digest."""
    parts = [ref.tag] if ref.tag else []
    if ref.digest:
        parts.append(ref.digest.partition(":")[2][: 8 if ref.tag else 12])
    return "-".join(parts).replace("..", ".").strip(".")


def apply_update(
    layout: Layout,
    update: ImageUpdate,
    subject: str,
    branch: str,
    *,
    push: bool,
    open_pr: bool,
    validate: bool,
) -> Outcome:
    """Make `update` on a new branch: all of it, or (on any failure or signal) nothing.

    Everything happens in a temporary worktree at HEAD (`gitops.delivery.branch`): the overlay
    is edited there, every environment rendered once, that render written (for the target's
    environment only), validated and compared with HEAD for the pull request's body.
    """
    with BranchChange(layout, branch, push=push, open_pr=open_pr) as change:
        work = change.layout
        env = update.target.env.name
        target = find_target(work, env, app=update.target.app.name)
        overlay = kustomization_file(target.overlay_dir)
        body = (
            f"Environment: {env}\nApp: {target.app.name}\nOld image: {update.old}\n"
            f"New image: {update.new}\n\nEdited {work.relative(overlay)} and re-rendered "
            f"clusters/{env}/ (python -m gitops render)."
        )
        atomic_write(overlay, edited_kustomization(target, update.new, work.root))
        rendered = render_all(work)
        sync.write(work, rendered.only([env]))
        if validate:
            require_valid(work, rendered)
        paths = [str(work.relative(overlay)), str(work.relative(work.cluster_dir(env)))]
        record = work.clusters_dir / renderedby.RECORD  # the kustomize that rendered it
        if record.is_file():
            paths.append(str(work.relative(record)))
        change.commit(f"{subject}\n\n{body}\n\n{trailers(update)}", paths)
        change.publish(pr_body(work, change.start_head, rendered) if open_pr else "")
        change.finish()
    _note_uncommitted(layout, change.outcome)
    return change.outcome


def trailers(update: ImageUpdate) -> str:
    """Git trailers that say what the commit did, for people and scripts (`git log
    --format='%(trailers)'`)."""
    lines = [
        f"Gitops-Environment: {update.target.env.name}",
        f"Gitops-App: {update.target.app.name}",
        f"Gitops-Image: {update.new}",
    ]
    if update.reverts:
        lines.append(f"Gitops-Reverts: {update.reverts}")
    return "\n".join(lines) + "\n"


def _note_uncommitted(layout: Layout, outcome: Outcome) -> None:
    """The change starts from HEAD: say so when the work tree has edits it did not take."""
    repo = GitRepo(layout.root)
    dirty = repo.dirty_paths(
        str(layout.relative(layout.apps_dir)), str(layout.relative(layout.clusters_dir))
    )
    if dirty:
        shown = ", ".join(dirty[:3]) + (" …" if len(dirty) > 3 else "")
        outcome.notes.append(
            f"uncommitted changes in {shown} are not part of this change (it starts from HEAD)"
        )


# ---- validate and describe (imported when used: a refused bump stays quick)


def require_valid(layout: Layout, rendered: Rendered) -> None:
    """Refuse (the caller undoes the change) when the repository does not validate."""
    from gitops.validation.repository import validate_repository

    errors = [f for f in validate_repository(layout, rendered) if f.severity == "error"]
    if errors:
        shown = "\n  ".join(f.format() for f in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise Refused(
            f"the change does not validate ({len(errors)} error(s)); nothing was changed:\n  "
            f"{shown}{more}"
        )


def pr_body(layout: Layout, base: str, rendered: Rendered) -> str:
    """The pull request's body: the cluster-state diff against `base`, as markdown."""
    from gitops.diff.report import format_markdown
    from gitops.diff.sides import cluster_diff

    result = cluster_diff(layout, base, head=rendered)
    return format_markdown(result.environments, result.base_label)
