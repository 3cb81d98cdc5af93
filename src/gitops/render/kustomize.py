"""Running kustomize: a `kustomize` binary when there is one, else `kubectl kustomize`.

A standalone kustomize is preferred because it is the one people pin and upgrade on purpose;
kubectl embeds a kustomize of its own release. Both give the same objects for this repository's
overlays (render orders keys and files itself, so their output formats do not matter).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gitops.errors import ConfigError, ToolMissing
from gitops.system.process import run

INSTALL_HINT = (
    "install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/) or kubectl "
    "(https://kubernetes.io/docs/tasks/tools/), then run this again"
)
TIMEOUT_SECONDS = 120
ORIGINS_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {overlay}
buildMetadata: [originAnnotations]
sortOptions:
  order: fifo
"""


@dataclass(frozen=True)
class Kustomize:
    """How to call kustomize here: `argv + [overlay]` prints the built objects."""

    argv: tuple[str, ...]

    @property
    def name(self) -> str:
        """`kustomize build` or `kubectl kustomize`, for messages."""
        return " ".join((Path(self.argv[0]).name, *self.argv[1:]))

    def build(self, overlay: Path, shown: Path | str) -> str:
        """The YAML stream kustomize builds from `overlay`; a ConfigError naming `shown` (the
        overlay as the user knows it) with kustomize's own message when the build fails."""
        result = run(
            [*self.argv, str(overlay)],
            what=f"{self.name} {shown}",
            check=False,
            timeout=TIMEOUT_SECONDS,
        )
        if result.returncode != 0:
            message = _clean(result.stderr) or f"exit status {result.returncode}"
            raise ConfigError(f"{self.name} failed: {message}", path=shown)
        return result.stdout

    def build_with_origins(self, overlay: Path, shown: Path | str) -> tuple[str, Path]:
        """`overlay` built with each object's `config.kubernetes.io/origin` annotation, objects
        in the order kustomize met them (fifo: each file's documents in file order), and the
        folder the origin paths are relative to (gone on return: join, never read from it).

        The overlay is left as it is: a temporary kustomization that lists it as its only
        resource asks for the metadata, so nothing is written into the repository.
        """
        with tempfile.TemporaryDirectory(prefix="gitops-origins-") as folder:
            wrapper = Path(folder).resolve()
            relative = Path(os.path.relpath(overlay.resolve(), wrapper)).as_posix()
            (wrapper / "kustomization.yaml").write_text(
                ORIGINS_KUSTOMIZATION.format(overlay=json.dumps(relative)), encoding="utf-8"
            )
            return self.build(wrapper, shown), wrapper


def find_kustomize() -> Kustomize:
    """`kustomize build` when a kustomize binary is on PATH, else `kubectl kustomize`."""
    standalone = shutil.which("kustomize")
    if standalone:
        return Kustomize((standalone, "build"))
    kubectl = shutil.which("kubectl")
    if kubectl:
        return Kustomize((kubectl, "kustomize"))
    raise ToolMissing(f"neither kustomize nor kubectl is on PATH: {INSTALL_HINT}")


def _clean(stderr: str) -> str:
    """kustomize's message without the `Error: ` prefix, on one line when it is short."""
    lines = [line.rstrip() for line in stderr.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("Error: "):
        lines[0] = lines[0][len("Error: ") :]
    return lines[0] if len(lines) == 1 else "\n  ".join(lines)
