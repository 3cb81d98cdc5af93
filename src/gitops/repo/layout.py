"""Where things live in the repository. The only place that knows the folder names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops.errors import ConfigError

APP = "guestbook"
FACTS_FILE = "environment.yaml"
LAYERS_FILE = "layers.yaml"


@dataclass(frozen=True)
class Layout:
    """The folders of one checkout of this repository (the work tree, or a past commit's copy)."""

    root: Path

    @property
    def app_dir(self) -> Path:
        return self.root / "apps" / APP

    @property
    def overlays_dir(self) -> Path:
        return self.app_dir / "overlays"

    @property
    def layers_file(self) -> Path:
        """Which folder of clusters/<env>/ each rendered object goes to (gitops.repo.layers)."""
        return self.app_dir / LAYERS_FILE

    @property
    def clusters_dir(self) -> Path:
        return self.root / "clusters"

    @property
    def bootstrap_dir(self) -> Path:
        return self.root / "bootstrap"

    def overlay_dir(self, env: str) -> Path:
        return self.overlays_dir / env

    def cluster_dir(self, env: str) -> Path:
        return self.clusters_dir / env

    def relative(self, path: Path) -> Path:
        """`path` relative to the root when it is inside it, else unchanged (for messages)."""
        try:
            return path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return path


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder at or above `start` holding `apps/<APP>/overlays`."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "apps" / APP / "overlays").is_dir():
            return candidate
    raise ConfigError(
        f"no apps/{APP}/overlays/ found in {here} or above: run this from a checkout of the "
        "GitOps repository"
    )
