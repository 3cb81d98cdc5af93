"""What bump and promote share: one image change of one environment, made on a branch as one
transaction (edit the overlay, render once, validate that render, commit, publish).

The render made here is the one every later step uses: it is written into clusters/<env>/,
validated, and compared with the base for the pull request's body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitops.delivery.branch import BranchChange, Outcome
from gitops.delivery.imageref import ImageRef
from gitops.delivery.overlay import edited_kustomization, kustomization_file
from gitops.errors import Refused
from gitops.render.state import Rendered
from gitops.repo.environments import Environment, environment_names, load_environment
from gitops.repo.layout import Layout
from gitops.system.files import atomic_write

if TYPE_CHECKING:
    from gitops.render.sync import FileChange


@dataclass(frozen=True)
class ImageUpdate:
    """Environment `env` moves from image `old` to image `new`."""

    env: Environment
    old: ImageRef
    new: ImageRef


def environment(layout: Layout, name: str) -> Environment:
    """The facts of environment `name`; a UsageError (exit 2) naming the known ones if none."""
    from gitops.render.state import require_known

    require_known([name], environment_names(layout))
    return load_environment(layout, name)


def check_facts(layout: Layout, env: Environment, ref: ImageRef) -> None:
    """Refuse `ref` where env's facts forbid it: no digest where one is required, or another
    repository than the one env takes images from."""
    facts = layout.relative(env.facts_file)
    if env.image.require_digest and not ref.digest:
        raise Refused(
            f"{env.name} requires images pinned by digest ({facts}: image.requireDigest: true); "
            f"give {ref.repository}@sha256:<digest> or {ref}@sha256:<digest>"
        )
    if ref.repository != env.image.repository:
        raise Refused(
            f"{ref} is not from {env.image.repository}, the repository {env.name} takes images "
            f"from; to move to another registry, change image.repository in {facts} first"
        )


def branch_suffix(ref: ImageRef) -> str:
    """A branch-name-safe short name: the tag, plus 8 digest digits when there is a digest."""
    parts = [ref.tag] if ref.tag else []
    if ref.digest:
        parts.append(ref.digest.partition(":")[2][: 8 if ref.tag else 12])
    return "-".join(parts).replace("..", ".").strip(".")


def sources_and_rendered(layout: Layout) -> list[str]:
    """apps/ and clusters/, relative to the root: what must be clean before a change."""
    return [str(layout.relative(layout.app_dir)), str(layout.relative(layout.clusters_dir))]


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
    """Make `update` on a new branch: all of it, or (on any failure) nothing."""
    env = update.env
    overlay = kustomization_file(env.overlay_dir)
    body = (
        f"Environment: {env.name}\nOld image: {update.old}\nNew image: {update.new}\n\n"
        f"Edited {layout.relative(overlay)} and re-rendered clusters/{env.name}/ "
        "(python -m gitops render)."
    )
    paths = [str(layout.relative(overlay)), str(layout.relative(layout.cluster_dir(env.name)))]
    with BranchChange(
        layout,
        branch,
        paths,
        must_be_clean=sources_and_rendered(layout),
        push=push,
        open_pr=open_pr,
    ) as change:
        atomic_write(overlay, edited_kustomization(env, update.new, layout.root))
        rendered, _ = render_into_work_tree(layout, only=[env.name])
        if validate:
            require_valid(layout, rendered)
        change.commit(f"{subject}\n\n{body}\n")
        change.publish(pr_body(layout, change.start_head, rendered) if open_pr else "")
    return change.outcome


# ---- render, validate and describe (imported when used: a refused bump stays quick)


def render_into_work_tree(
    layout: Layout, only: list[str] | None = None
) -> tuple[Rendered, list[FileChange]]:
    """Render every environment once and write `only` those (None: all) into clusters/; the
    render (for validation and the pull request's diff) and the files it changed."""
    from gitops.render import sync
    from gitops.render.state import render_all

    rendered = render_all(layout)
    if only is None:
        return rendered, sync.write(layout, rendered)
    chosen = Rendered(files={env: rendered.files[env] for env in only})
    return rendered, sync.write(layout, chosen)


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
