"""bump: point an environment at a new image, through a commit on a new branch."""

from __future__ import annotations

from gitops import Say
from gitops.delivery.branch import Outcome
from gitops.delivery.imageref import ImageRefError, parse_pinned_image_ref
from gitops.delivery.overlay import read_overlay_image
from gitops.delivery.target import environment, find_target
from gitops.delivery.update import ImageUpdate, apply_update, branch_suffix, check_facts
from gitops.errors import Refused
from gitops.repo.layout import Layout


def bump(
    layout: Layout,
    env_name: str,
    image: str,
    *,
    app: str | None = None,
    push: bool = False,
    open_pr: bool = False,
    validate: bool = True,
    say: Say = print,
) -> Outcome | None:
    """Point `env_name` at `image`. None (and a message) when it already runs that image."""
    environment(layout, env_name)  # an unknown environment is a usage error, before the image
    try:
        new = parse_pinned_image_ref(image)
    except ImageRefError as exc:
        raise Refused(f"bump {env_name}: {exc}") from None
    target = find_target(layout, env_name, app=app, repository=new.repository)
    check_facts(layout, target, new)
    current = read_overlay_image(target, layout.root).ref
    if current == new:
        say(f"{target.name} already runs {new}; nothing to do")
        return None
    update = ImageUpdate(target, current, new)
    subject = f"bump({target.name}): {target.image.name} {current} → {new}"
    branch = f"bump/{env_name}/{target.image.name}-{branch_suffix(new)}"
    return apply_update(
        layout, update, subject, branch, push=push, open_pr=open_pr, validate=validate
    )
