"""rollback: move an environment back to the image it ran before the current one, as git records
it, through a commit on a new branch.

The history is the environment's image, commit after commit along HEAD's first-parent line (the
line `main` moves along as pull requests merge). Read oldest first, it is a stack: a change to a
new image pushes it, and a change back to the image just below the top (a rollback, by this
command, by `git revert` or by hand) pops the top. `rollback ENV` pops once more: it moves ENV
to the image below the current one and never re-applies the image it rolls back from, so a
second rollback goes one step further back, and refuses when there is nothing further back.
`--to IMAGE|COMMIT` picks the image explicitly.

`kubectl rollout undo` and `helm rollback` without a revision go to the previous revision, so a
second undo returns to the image the first one left; here it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitops import Say
from gitops.delivery.branch import Outcome
from gitops.delivery.imageref import ImageRef, ImageRefError, parse_pinned_image_ref
from gitops.delivery.overlay import kustomization_file, read_entry_from_text, read_overlay_image
from gitops.delivery.target import Target, find_target
from gitops.delivery.update import ImageUpdate, apply_update, check_facts
from gitops.errors import Refused, UsageError
from gitops.repo.git import Commit, GitRepo
from gitops.repo.layout import Layout


@dataclass(frozen=True)
class Deployment:
    """An image an environment ran, and the commit that set it."""

    image: ImageRef
    commit: Commit


def image_history(layout: Layout, target: Target) -> list[Deployment]:
    """The images the target ran, oldest first, with rollbacks taken off (see the module's doc)."""
    repo = GitRepo(layout.root)
    overlay = str(layout.relative(kustomization_file(target.overlay_dir)))
    stack: list[Deployment] = []
    for commit in repo.first_parent_log(overlay):
        image = _entry_at(repo, commit.sha, overlay, target)
        if image is None or (stack and image.same_image(stack[-1].image)):
            continue
        if len(stack) >= 2 and image.same_image(stack[-2].image):
            stack.pop()
        else:
            stack.append(Deployment(image, commit))
    return stack


def _entry_at(repo: GitRepo, ref: str, path: str, target: Target) -> ImageRef | None:
    content = repo.show_file(ref, path)
    if content is None:
        return None
    return read_entry_from_text(content.decode("utf-8", errors="replace"), target.image.name)


def rollback(
    layout: Layout,
    env_name: str,
    *,
    to: str | None = None,
    app: str | None = None,
    push: bool = False,
    open_pr: bool = False,
    validate: bool = True,
    say: Say = print,
) -> Outcome:
    """Move `env_name` to the image before its current one (or to `to`), on a new branch."""
    target = find_target(layout, env_name, app=app)
    history = image_history(layout, target)
    current = read_overlay_image(target, layout.root).ref
    if not history or not history[-1].image.same_image(current):
        raise Refused(
            f"{target.name} runs {current}, which git's history of "
            f"{layout.relative(kustomization_file(target.overlay_dir))} does not end with (an "
            "uncommitted edit?); commit it, or choose the image with --to"
        )
    undone = history[-1]
    image = _explicit(layout, target, to) if to else _previous(target.name, history)
    if image.same_image(current):
        raise Refused(f"{target.name} already runs {current}; nothing to roll back")
    check_facts(layout, target, image)
    say(f"{target.name}: {current} → {image} (reverts {undone.commit.short})")
    update = ImageUpdate(target, current, image, reverts=undone.commit.sha)
    subject = (
        f"rollback({target.name}): {target.image.name} {current} → {image} "
        f"(reverts {undone.commit.short})"
    )
    branch = f"rollback/{env_name}/{undone.commit.short}"
    return apply_update(
        layout, update, subject, branch, push=push, open_pr=open_pr, validate=validate
    )


def _previous(env_name: str, history: list[Deployment]) -> ImageRef:
    if len(history) < 2:
        first = history[-1]
        raise Refused(
            f"{env_name} runs {first.image}, the oldest image git records for it (set by "
            f"{first.commit.short} {first.commit.subject!r}), so there is nothing before it to "
            f"roll back to; choose an image explicitly: rollback {env_name} --to IMAGE|COMMIT"
        )
    return history[-2].image


def _explicit(layout: Layout, target: Target, to: str) -> ImageRef:
    """--to: an image reference, or a commit whose overlay names the image."""
    try:
        return parse_pinned_image_ref(to)
    except ImageRefError as not_an_image:
        repo = GitRepo(layout.root)
        if not repo.ref_exists(to):
            raise UsageError(
                f"--to {to!r} is neither an image reference ({not_an_image}) nor a commit"
            ) from None
        overlay = str(layout.relative(kustomization_file(target.overlay_dir)))
        image = _entry_at(repo, repo.resolve(to), overlay, target)
        if image is None:
            raise UsageError(
                f"--to {to!r}: {overlay} names no {target.image.name} image at that commit"
            ) from None
        return image
