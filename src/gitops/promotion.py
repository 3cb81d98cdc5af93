"""bump, promote and rollback: change the image an environment runs, through a commit on a branch.

Each one checks everything it can before it changes anything (the reference, the environment's
facts, a clean `apps/` and `clusters/`, a new branch name), then edits the overlay with a
round-trip YAML editor, re-renders the environment, validates the repository, and commits the
overlay and the rendered files on a new branch; on any failure it puts everything back
(see `gitops.branchchange`). After success the new branch is checked out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitops.branchchange import BranchChange, Outcome
from gitops.environments import Environment, environment_names, load_environment
from gitops.errors import Refused
from gitops.fsutil import atomic_write
from gitops.gitrepo import Commit, GitRepo
from gitops.imageref import ImageRef, ImageRefError, parse_pinned_image_ref
from gitops.layout import Layout
from gitops.overlayimage import (
    edited_kustomization,
    kustomization_file,
    read_entry_from_text,
    read_overlay_image,
)

Say = Callable[[str], None]


@dataclass(frozen=True)
class ImageUpdate:
    env: Environment
    old: ImageRef
    new: ImageRef


def bump(
    layout: Layout,
    env_name: str,
    image: str,
    *,
    push: bool = False,
    open_pr: bool = False,
    validate: bool = True,
    say: Say = print,
) -> Outcome | None:
    """Point `env_name` at `image`. None (and a message) when it already runs that image."""
    env = _environment(layout, env_name)
    try:
        new = parse_pinned_image_ref(image)
    except ImageRefError as exc:
        raise Refused(f"bump {env_name}: {exc}") from None
    _check_facts(layout, env, new)
    current = read_overlay_image(env, layout.root).ref
    if current == new:
        say(f"{env_name} already runs {new}; nothing to do")
        return None
    update = ImageUpdate(env, current, new)
    subject = f"bump({env_name}): {env.image.name} {current} → {new}"
    branch = f"bump/{env_name}/{env.image.name}-{_short(new)}"
    return _apply(layout, update, subject, branch, push=push, open_pr=open_pr, validate=validate)


def promote(
    layout: Layout,
    source_name: str,
    target_name: str,
    *,
    push: bool = False,
    open_pr: bool = False,
    validate: bool = True,
) -> Outcome:
    """Give `target_name` exactly the image `source_name` runs, by digest."""
    if source_name == target_name:
        raise Refused(f"promote {source_name} {target_name}: source and target are the same")
    source = _environment(layout, source_name)
    target = _environment(layout, target_name)
    running = read_overlay_image(source, layout.root)
    if not running.ref.digest:
        raise Refused(
            f"{source_name} runs {running.ref}, which is not pinned by digest "
            f"({layout.relative(running.file)}:{running.line}); promotion copies an image by "
            f"digest, so bump {source_name} to {running.ref.repository}@sha256:… first"
        )
    _check_facts(layout, target, running.ref)
    current = read_overlay_image(target, layout.root).ref
    if current.same_image(running.ref):
        raise Refused(
            f"{target_name} already runs {current} ({source_name} runs {running.ref}); "
            "nothing to promote"
        )
    update = ImageUpdate(target, current, running.ref)
    subject = (
        f"promote({target_name}): {target.image.name} {current} → {running.ref} "
        f"(from {source_name})"
    )
    branch = f"promote/{target_name}/{target.image.name}-{_short(running.ref)}"
    return _apply(layout, update, subject, branch, push=push, open_pr=open_pr, validate=validate)


def _environment(layout: Layout, name: str) -> Environment:
    known = environment_names(layout)
    if name not in known:
        raise Refused(f"unknown environment {name!r} (known: {', '.join(known) or 'none'})")
    return load_environment(layout, name)


def _check_facts(layout: Layout, env: Environment, ref: ImageRef) -> None:
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


def _short(ref: ImageRef) -> str:
    """A branch-name-safe short name: the tag, plus 8 digest digits when there is a digest."""
    parts = [ref.tag] if ref.tag else []
    if ref.digest:
        parts.append(ref.digest.partition(":")[2][: 8 if ref.tag else 12])
    return "-".join(parts).replace("..", ".").strip(".")


def _paths(layout: Layout, env: Environment) -> list[str]:
    return [
        str(layout.relative(kustomization_file(env.overlay_dir))),
        str(layout.relative(layout.cluster_dir(env.name))),
    ]


def _sources_and_rendered(layout: Layout) -> list[str]:
    return [str(layout.relative(layout.app_dir)), str(layout.relative(layout.clusters_dir))]


def _apply(
    layout: Layout,
    update: ImageUpdate,
    subject: str,
    branch: str,
    *,
    push: bool,
    open_pr: bool,
    validate: bool,
) -> Outcome:
    env = update.env
    body = (
        f"Environment: {env.name}\nOld image: {update.old}\nNew image: {update.new}\n\n"
        f"Edited {layout.relative(kustomization_file(env.overlay_dir))} and re-rendered "
        f"clusters/{env.name}/ (python -m gitops render)."
    )
    clean = _sources_and_rendered(layout)
    with BranchChange(
        layout, branch, _paths(layout, env), must_be_clean=clean, push=push, open_pr=open_pr
    ) as change:
        overlay = kustomization_file(env.overlay_dir)
        atomic_write(overlay, edited_kustomization(env, update.new, layout.root))
        render_into_work_tree(layout, [env.name])
        if validate:
            require_valid(layout)
        change.commit(f"{subject}\n\n{body}\n")
        change.publish(pr_body(layout, change.start_head) if open_pr else "")
    return change.outcome


# ---- rollback


@dataclass(frozen=True)
class ImageCommit:
    commit: Commit
    old: ImageRef
    new: ImageRef


def last_image_change(layout: Layout, env: Environment) -> ImageCommit | None:
    """The newest commit (no merges) that changed the reference env's overlay pins: commits
    made by bump/promote and hand edits alike; introducing the entry does not count."""
    repo = GitRepo(layout.root)
    overlay = str(layout.relative(kustomization_file(env.overlay_dir)))
    for commit in repo.log(overlay):
        parents = repo.parents(commit.sha)
        if not parents:
            continue
        after = _entry_at(repo, commit.sha, overlay, env)
        before = _entry_at(repo, parents[0], overlay, env)
        if before is not None and after is not None and before != after:
            return ImageCommit(commit, before, after)
    return None


def _entry_at(repo: GitRepo, ref: str, path: str, env: Environment) -> ImageRef | None:
    content = repo.show_file(ref, path)
    if content is None:
        return None
    return read_entry_from_text(content.decode("utf-8", errors="replace"), env.image.name)


def rollback(
    layout: Layout,
    env_name: str,
    *,
    push: bool = False,
    open_pr: bool = False,
    validate: bool = True,
    say: Say = print,
) -> Outcome:
    """Revert the last commit that changed env_name's image, on a new branch."""
    env = _environment(layout, env_name)
    found = last_image_change(layout, env)
    if found is None:
        raise Refused(
            f"nothing to roll back: no commit on this branch changed the image of {env_name} "
            "since it was first set"
        )
    current = read_overlay_image(env, layout.root).ref
    if current != found.new:
        say(
            f"note: {env_name} now runs {current}, not {found.new} as set by "
            f"{found.commit.short}; reverting that commit anyway"
        )
    branch = f"rollback/{env_name}/{found.commit.short}"
    paths = _sources_and_rendered(layout)
    with BranchChange(layout, branch, paths, push=push, open_pr=open_pr) as change:
        if not change.revert(found.commit.sha):
            _resolve_rendered_conflicts(layout, change)
        stale = render_into_work_tree(layout, None)
        if stale:
            say(f"re-rendered {len(stale)} file(s) that the revert left out of date")
            change.outcome.commit = change.repo.amend_paths(paths)
            change.outcome.files = change.changed_files()
        if validate:
            require_valid(layout)
        change.publish(pr_body(layout, change.start_head) if open_pr else "")
    say(
        f"rolled back {found.commit.short} ({found.commit.subject}): "
        f"{env_name} {found.new} → {found.old}"
    )
    return change.outcome


def _resolve_rendered_conflicts(layout: Layout, change: BranchChange) -> None:
    """A revert that conflicts only in clusters/ is finished by rendering the reverted sources
    (clusters/ is generated); a conflict in apps/ is for a person to resolve."""
    conflicted = change.repo.conflicted_paths()
    clusters = str(layout.relative(layout.clusters_dir)) + "/"
    by_hand = [p for p in conflicted if not p.startswith(clusters)]
    if by_hand:
        raise Refused(
            f"reverting {change.branch.rpartition('/')[2]} conflicts with later changes in "
            f"{', '.join(by_hand)}; revert it by hand (git revert) and resolve the conflict"
        )
    render_into_work_tree(layout, None)
    change.finish_revert()


# ---- render, validate and describe (imported when used: a refused bump stays quick)


def render_into_work_tree(layout: Layout, envs: list[str] | None) -> list[Path]:
    """Render `envs` (None: all) into clusters/; the files that changed."""
    from gitops.render import changed_files, render_all, render_environment, write_rendered

    if envs is None:
        rendered = render_all(layout)
    else:
        rendered = {name: render_environment(layout, name) for name in envs}
    stale = list(changed_files(layout, rendered))
    if stale:
        write_rendered(layout, rendered)
    return stale


def require_valid(layout: Layout) -> None:
    """Refuse (the caller undoes the change) when the repository does not validate."""
    from gitops.validation.engine import validate_repository

    errors = [f for f in validate_repository(layout) if f.severity == "error"]
    if errors:
        shown = "\n  ".join(f.format() for f in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise Refused(
            f"the change does not validate ({len(errors)} error(s)); nothing was changed:\n  "
            f"{shown}{more}"
        )


def pr_body(layout: Layout, base: str) -> str:
    from gitops.diffbase import cluster_diff
    from gitops.diffreport import format_markdown

    result = cluster_diff(layout, base)
    return format_markdown(result.environments, result.base_label)
