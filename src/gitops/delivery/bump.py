"""bump: point an environment at a new image, through a commit on a new branch."""

from __future__ import annotations

from gitops import Say
from gitops.delivery.branch import Outcome
from gitops.delivery.imageref import ImageRefError, parse_pinned_image_ref
from gitops.delivery.overlay import read_overlay_image
from gitops.delivery.update import (
    ImageUpdate,
    apply_update,
    branch_suffix,
    check_facts,
    environment,
)
from gitops.errors import Refused
from gitops.repo.layout import Layout


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
    env = environment(layout, env_name)
    try:
        new = parse_pinned_image_ref(image)
    except ImageRefError as exc:
        raise Refused(f"bump {env_name}: {exc}") from None
    check_facts(layout, env, new)
    current = read_overlay_image(env, layout.root).ref
    if current == new:
        say(f"{env_name} already runs {new}; nothing to do")
        return None
    update = ImageUpdate(env, current, new)
    subject = f"bump({env_name}): {env.image.name} {current} → {new}"
    branch = f"bump/{env_name}/{env.image.name}-{branch_suffix(new)}"
    return apply_update(
        layout, update, subject, branch, push=push, open_pr=open_pr, validate=validate
    )
