"""Running kustomize: `kustomize build` or `kubectl kustomize`, whichever PATH finds first.

The sessions put their environment's bin/ first on PATH, and the locks install kubectl there
(requirements/pipeline.in): wherever a session runs, clusters/ is rendered by that one pinned
kubectl and the kustomize it embeds, not by whatever the machine has (GitHub's runners ship a
kustomize of their own). Within one folder a standalone kustomize comes first. The version of the
one found is what `clusters/.rendered-by` records (`gitops.render.renderedby`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gitops.errors import ConfigError, ToolMissing
from gitops.system.process import run

INSTALL_HINT = (
    "install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/) or kubectl "
    "(https://kubernetes.io/docs/tasks/tools/), then run this again"
)
TIMEOUT_SECONDS = 120
_VERSION = re.compile(r"v\d+\.\d+\.\d+[\w.+-]*")
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
    """The first of `kustomize build` and `kubectl kustomize` on PATH (in one folder, kustomize)."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for program, verb in (("kustomize", "build"), ("kubectl", "kustomize")):
            path = Path(folder or ".") / program
            if path.is_file() and os.access(path, os.X_OK):
                return Kustomize((str(path), verb))
    raise ToolMissing(f"neither kustomize nor kubectl is on PATH: {INSTALL_HINT}")


@dataclass(frozen=True)
class ToolVersion:
    """Which kustomize renders: its version, and kubectl's when it is kubectl's own."""

    kustomize: str
    kubectl: str = ""

    def __str__(self) -> str:
        kubectl = f" (kubectl {self.kubectl})" if self.kubectl else ""
        return f"kustomize {self.kustomize}{kubectl}"


def tool_version(tool: Kustomize) -> ToolVersion:
    """The version `tool` reports ("unknown" when it says none it can be read from)."""
    return _asked(tool.argv[0], tool.argv[1:] == ("kustomize",))


@cache
def _asked(program: str, is_kubectl: bool) -> ToolVersion:
    argv = [program, "version", "--client", "-o", "json"] if is_kubectl else [program, "version"]
    result = run(argv, what=" ".join(argv), check=False, timeout=TIMEOUT_SECONDS)
    if not is_kubectl:
        found = _VERSION.search(result.stdout)
        return ToolVersion(found.group() if found else "unknown")
    try:
        data = json.loads(result.stdout)
        return ToolVersion(
            str(data.get("kustomizeVersion") or "unknown"),
            str(data["clientVersion"]["gitVersion"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return ToolVersion("unknown", "unknown")


def _clean(stderr: str) -> str:
    """kustomize's message without the `Error: ` prefix, on one line when it is short."""
    lines = [line.rstrip() for line in stderr.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("Error: "):
        lines[0] = lines[0][len("Error: ") :]
    return lines[0] if len(lines) == 1 else "\n  ".join(lines)
