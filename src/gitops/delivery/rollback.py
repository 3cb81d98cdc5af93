"""rollback: revert the last image change of an environment, through a commit on a new branch."""

from __future__ import annotations

from dataclasses import dataclass

from gitops import Say
from gitops.delivery.branch import BranchChange, Outcome
from gitops.delivery.imageref import ImageRef
from gitops.delivery.overlay import kustomization_file, read_entry_from_text, read_overlay_image
from gitops.delivery.update import (
    environment,
    pr_body,
    render_into_work_tree,
    require_valid,
    sources_and_rendered,
)
from gitops.errors import Refused
from gitops.repo.environments import Environment
from gitops.repo.git import Commit, GitRepo
from gitops.repo.layout import Layout


@dataclass(frozen=True)
class ImageCommit:
    """A commit that moved an environment from image `old` to image `new`."""

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
    env = environment(layout, env_name)
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
    paths = sources_and_rendered(layout)
    with BranchChange(layout, branch, paths, push=push, open_pr=open_pr) as change:
        clean = change.revert(found.commit.sha)
        if not clean:
            _refuse_conflicts_outside_clusters(layout, change)
        rendered, stale = render_into_work_tree(layout)
        if not clean:
            change.finish_revert()
        elif stale:
            say(f"re-rendered {len(stale)} file(s) that the revert left out of date")
            change.outcome.commit = change.repo.amend_paths(paths)
            change.outcome.files = change.changed_files()
        if validate:
            require_valid(layout, rendered)
        change.publish(pr_body(layout, change.start_head, rendered) if open_pr else "")
    say(
        f"rolled back {found.commit.short} ({found.commit.subject}): "
        f"{env_name} {found.new} → {found.old}"
    )
    return change.outcome


def _refuse_conflicts_outside_clusters(layout: Layout, change: BranchChange) -> None:
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
