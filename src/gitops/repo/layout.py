"""Where things live in the repository. The only place that knows the folder names.

    apps/<app>/overlays/<env>/                one overlay per app and environment (kustomize)
    apps/environments/<env>/environment.yaml  the facts of one environment's cluster
    apps/layers.yaml                          the layers, in apply order, and what goes in each
    clusters/<env>/<layer>/                   the rendered state (generated)
    bootstrap/                                the controllers' entry points

Apps are discovered: every folder of apps/ with an `overlays/` folder is one (infrastructure is
an app like the guestbook). Environments are the folders of apps/environments/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops.errors import ConfigError

FACTS_FILE = "environment.yaml"
LAYERS_FILE = "layers.yaml"
ENVIRONMENTS = "environments"
SEALING_CERTIFICATE = "sealed-secrets.pem"


@dataclass(frozen=True)
class Layout:
    """The folders of one checkout of this repository (the work tree, or a past commit's copy)."""

    root: Path

    @property
    def apps_dir(self) -> Path:
        return self.root / "apps"

    @property
    def environments_dir(self) -> Path:
        return self.apps_dir / ENVIRONMENTS

    @property
    def layers_file(self) -> Path:
        """The layers and which rendered objects go to each (gitops.repo.layers)."""
        return self.apps_dir / LAYERS_FILE

    @property
    def clusters_dir(self) -> Path:
        return self.root / "clusters"

    @property
    def bootstrap_dir(self) -> Path:
        return self.root / "bootstrap"

    def environment_dir(self, env: str) -> Path:
        return self.environments_dir / env

    def facts_file(self, env: str) -> Path:
        return self.environment_dir(env) / FACTS_FILE

    def sealing_certificate(self, env: str) -> Path:
        """The public certificate of env's Sealed Secrets controller (what `seal` encrypts to)."""
        return self.environment_dir(env) / SEALING_CERTIFICATE

    def app_dir(self, app: str) -> Path:
        return self.apps_dir / app

    def overlay_dir(self, app: str, env: str) -> Path:
        return self.app_dir(app) / "overlays" / env

    def cluster_dir(self, env: str) -> Path:
        return self.clusters_dir / env

    def app_names(self) -> list[str]:
        """Every app: the folders of apps/ that hold an `overlays/` folder, sorted."""
        if not self.apps_dir.is_dir():
            return []
        return sorted(
            child.name
            for child in self.apps_dir.iterdir()
            if child.is_dir() and not child.name.startswith(".") and (child / "overlays").is_dir()
        )

    def relative(self, path: Path) -> Path:
        """`path` relative to the root when it is inside it, else unchanged (for messages)."""
        try:
            return path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return path


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder at or above `start` holding apps/environments/."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "apps" / ENVIRONMENTS).is_dir():
            return candidate
    raise ConfigError(
        f"no apps/{ENVIRONMENTS}/ found in {here} or above: run this from a checkout of the "
        "GitOps repository"
    )
