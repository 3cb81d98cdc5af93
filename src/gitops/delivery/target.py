"""What a delivery command changes: the image one app pins in one environment's overlay."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops.errors import UsageError
from gitops.render.state import require_known
from gitops.repo.environments import (
    AppFacts,
    Environment,
    ImageFacts,
    environment_names,
    load_environment,
)
from gitops.repo.layout import Layout


@dataclass(frozen=True)
class Target:
    """App `app` of environment `env`: its facts, its image facts and its overlay."""

    env: Environment
    app: AppFacts
    image: ImageFacts
    overlay_dir: Path

    @property
    def name(self) -> str:
        """`dev` with one deployable app, `dev/guestbook` with several (for messages)."""
        return (
            self.env.name
            if len(self.env.deployable_apps()) == 1
            else f"{self.env.name}/{self.app.name}"
        )

    @property
    def facts_file(self) -> Path:
        return self.env.facts_file


def environment(layout: Layout, name: str) -> Environment:
    """The facts of environment `name`; a UsageError (exit 2) naming the known ones if none."""
    require_known([name], environment_names(layout))
    return load_environment(layout, name)


def find_target(
    layout: Layout, env_name: str, *, app: str | None = None, repository: str | None = None
) -> Target:
    """The app of `env_name` a command changes: `app` when given, else the one whose image comes
    from `repository`, else the only app that pins an image; a UsageError (exit 2) when it is
    ambiguous or there is none."""
    env = environment(layout, env_name)
    apps = env.deployable_apps()
    if app is not None:
        chosen = [facts for facts in apps if facts.name == app]
    elif repository is not None and len(apps) > 1:
        chosen = [facts for facts in apps if facts.image and facts.image.repository == repository]
    else:
        chosen = apps
    if len(chosen) != 1:
        names = ", ".join(facts.name for facts in apps) or "none"
        raise UsageError(
            f"{env_name}: cannot tell which app to change (apps with an image here: {names}); "
            "name one with --app"
        )
    facts = chosen[0]
    assert facts.image is not None  # deployable_apps() keeps only those
    return Target(env, facts, facts.image, layout.overlay_dir(facts.name, env_name))
