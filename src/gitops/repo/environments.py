"""Each environment's facts, read from `apps/guestbook/overlays/<env>/environment.yaml`.

An environment is a folder under the overlays with a facts file in it; adding one (say `staging`)
needs a folder, not code. The facts say what the pipeline must know about that environment's
cluster: its Kubernetes version, namespace, public host, which image the overlay pins and whether
by digest, which kinds must be present, which custom resources the cluster serves, and how every
Secret the workloads reference is provided (secret material itself never enters git).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.errors import ConfigError
from gitops.repo.configyaml import load_config_yaml, node_line
from gitops.repo.layout import FACTS_FILE, Layout

SECRET_PROVIDERS = ("manual", "sealed-secrets", "sops", "external-secrets")
_ENV_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_K8S_VERSION = re.compile(r"^1\.\d+$")
_KNOWN_KEYS = {
    "kubernetesVersion",
    "namespace",
    "host",
    "image",
    "requiredKinds",
    "customResources",
    "secrets",
}


@dataclass(frozen=True)
class SecretSource:
    """How one Secret that the workloads reference reaches the cluster."""

    name: str
    provider: str
    keys: tuple[str, ...]
    create: str = ""


@dataclass(frozen=True)
class ImageFacts:
    name: str
    repository: str
    require_digest: bool


@dataclass(frozen=True)
class Environment:
    name: str
    overlay_dir: Path
    facts_file: Path
    kubernetes_version: str
    namespace: str
    host: str
    image: ImageFacts
    required_kinds: tuple[str, ...] = ()
    custom_resources: tuple[str, ...] = ()
    secrets: Mapping[str, SecretSource] = field(default_factory=dict)


def environment_names(layout: Layout) -> list[str]:
    """Names of the environments, sorted: every folder under the overlays is one, and must hold
    a facts file (a ConfigError naming the folder otherwise: an environment whose facts are
    missing must not quietly stop being rendered)."""
    overlays = layout.overlays_dir
    if not overlays.is_dir():
        raise ConfigError(f"{layout.relative(overlays)}: folder not found")
    names = []
    for child in sorted(overlays.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        if not (child / FACTS_FILE).is_file():
            shown = layout.relative(child).as_posix()
            raise ConfigError(
                f"{shown}/ has no {FACTS_FILE}, and every folder of "
                f"{layout.relative(overlays).as_posix()}/ is an environment: restore the file, or "
                f"delete the folder to remove the environment (then `nox -s render -- --prune` "
                f"deletes clusters/{child.name}/)"
            )
        names.append(child.name)
    return names


def load_environments(layout: Layout) -> list[Environment]:
    """Every environment of the repository, sorted by name."""
    names = environment_names(layout)
    if not names:
        raise ConfigError(
            f"{layout.relative(layout.overlays_dir)}: no environment found "
            f"(an environment is a folder with a {FACTS_FILE})"
        )
    return [load_environment(layout, name) for name in names]


def load_environment(layout: Layout, name: str) -> Environment:
    """The facts of environment `name`; a ConfigError naming file and line if they are wrong."""
    overlay = layout.overlay_dir(name)
    facts_file = overlay / FACTS_FILE
    shown = layout.relative(facts_file)
    if not facts_file.is_file():
        known = ", ".join(environment_names(layout)) or "none"
        raise ConfigError(f"unknown environment {name!r} (known: {known})")
    if not _ENV_NAME.match(name):
        raise ConfigError(
            f"environment folder name {name!r} must be a DNS label (lower case, digits, '-')",
            path=layout.relative(overlay),
        )
    data = load_config_yaml(facts_file.read_text(encoding="utf-8"), shown)
    return _parse(name, overlay, facts_file, shown, data)


def _parse(name: str, overlay: Path, facts_file: Path, shown: Path, data: Any) -> Environment:
    read = _FactsReader(shown)
    if not isinstance(data, Mapping):
        raise read.fail("the facts file must be a mapping of fact names to values")
    for key in data:
        if key not in _KNOWN_KEYS:
            known = ", ".join(sorted(_KNOWN_KEYS))
            raise read.fail(f"unknown fact {key!r} (known: {known})", data, key)
    return Environment(
        name=name,
        overlay_dir=overlay,
        facts_file=facts_file,
        kubernetes_version=read.kubernetes_version(data),
        namespace=read.text(data, "namespace", "the namespace"),
        host=read.text(data, "host", "the public host name"),
        image=read.image(data),
        required_kinds=read.strings(data, "requiredKinds"),
        custom_resources=read.strings(data, "customResources"),
        secrets=read.secrets(data.get("secrets") or {}),
    )


@dataclass(frozen=True)
class _FactsReader:
    """Reads one facts file's values; every error names the file and the line of the value."""

    shown: Path

    def fail(self, message: str, node: Any = None, key: Any = None) -> ConfigError:
        line = node_line(node, key) if node is not None else 1
        return ConfigError(message, path=self.shown, line=line)

    def text(self, node: Mapping[str, Any], key: str, what: str) -> str:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{what} ({key}) is required and must be a non-empty string", node, key)
        return value.strip()

    def strings(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{key} must be a list of strings", data, key)
        return tuple(value)

    def kubernetes_version(self, data: Mapping[str, Any]) -> str:
        version = str(data.get("kubernetesVersion", "")).strip()
        if not _K8S_VERSION.match(version):
            raise self.fail(
                f'kubernetesVersion must be a quoted minor version like "1.33", got {version!r}',
                data,
                "kubernetesVersion",
            )
        return version

    def image(self, data: Mapping[str, Any]) -> ImageFacts:
        image = data.get("image")
        if not isinstance(image, Mapping):
            message = "image must be a mapping with name, repository and requireDigest"
            raise self.fail(message, data, "image")
        require_digest = image.get("requireDigest", False)
        if not isinstance(require_digest, bool):
            raise self.fail("image.requireDigest must be true or false", image, "requireDigest")
        return ImageFacts(
            name=self.text(image, "name", "the image name used in the overlay's images: entry"),
            repository=self.text(image, "repository", "the image repository"),
            require_digest=require_digest,
        )

    def secrets(self, node: Any) -> dict[str, SecretSource]:
        if not isinstance(node, Mapping):
            raise self.fail("secrets must map each Secret's name to how it is provided", node)
        return {str(name): self.secret(str(name), spec, node) for name, spec in node.items()}

    def secret(self, name: str, spec: Any, parent: Any) -> SecretSource:
        if not isinstance(spec, Mapping):
            raise self.fail(f"secrets.{name} must be a mapping with provider and keys", parent)
        provider = spec.get("provider")
        if provider not in SECRET_PROVIDERS:
            raise self.fail(
                f"secrets.{name}.provider must be one of {', '.join(SECRET_PROVIDERS)}, "
                f"got {provider!r}",
                spec,
                "provider",
            )
        keys = spec.get("keys") or []
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise self.fail(f"secrets.{name}.keys must list the Secret's keys", spec, "keys")
        create = spec.get("create", "")
        if not isinstance(create, str):
            raise self.fail(f"secrets.{name}.create must be a command as a string", spec, "create")
        return SecretSource(name=name, provider=provider, keys=tuple(keys), create=create.strip())
