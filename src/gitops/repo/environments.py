"""Each environment's facts, read from `apps/environments/<env>/environment.yaml`.

An environment is a folder of apps/environments/ with a facts file in it; adding one (say
`staging`) needs that folder and an overlay per app, not code. The facts say what the pipeline
must know about that environment's cluster: its Kubernetes version, which kinds must be present,
which custom resources it serves without a vendored schema, where its certificates come from,
and per app its namespace, public host, the image its overlay pins (whether by digest, and which
workflow must have built and attested it) and where its database backups go.
Secrets are not facts: every Secret a workload references must be provided in git (a
SealedSecret, or a certificate cert-manager issues), and the validator checks that.
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

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_K8S_VERSION = re.compile(r"^1\.\d+$")
_KNOWN_KEYS = {"kubernetesVersion", "requiredKinds", "customResources", "certificates", "apps"}
_APP_KEYS = {"namespace", "host", "image", "backup"}
_BACKUP_KEYS = {"endpoint", "bucket", "prefix", "region"}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # S3's rules for a bucket's name
_CERTIFICATE_KEYS = {"issuer", "email", "server"}
_IMAGE_KEYS = {"name", "repository", "requireDigest", "builtBy"}
_BUILT_BY_KEYS = {"repository", "workflow", "ref"}
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
_WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")


@dataclass(frozen=True)
class BuilderFacts:
    """The GitHub Actions workflow whose signed provenance an image must carry to be promoted
    into the environment: `repository` (owner/name), the workflow's path in it and the git ref it
    ran on. `line` is where the facts say so, for messages."""

    repository: str
    workflow: str = ".github/workflows/image.yml"
    ref: str = "refs/heads/main"
    line: int = 0


@dataclass(frozen=True)
class ImageFacts:
    """The image an app's overlay pins: its `images:` entry name, the repository it must come
    from, whether it must be pinned by digest, and the workflow that must have built it."""

    name: str
    repository: str
    require_digest: bool
    built_by: BuilderFacts | None = None


@dataclass(frozen=True)
class BackupFacts:
    """Where an app's database backups go: an S3-compatible endpoint, a bucket, a key prefix."""

    endpoint: str
    bucket: str
    prefix: str
    region: str = ""


@dataclass(frozen=True)
class AppFacts:
    """What the pipeline knows of one app in one environment."""

    name: str
    namespace: str
    host: str = ""
    image: ImageFacts | None = None
    backup: BackupFacts | None = None


@dataclass(frozen=True)
class CertificateFacts:
    """The ACME ClusterIssuer that issues the environment's certificates."""

    issuer: str
    email: str
    server: str


@dataclass(frozen=True)
class Environment:
    name: str
    facts_file: Path
    kubernetes_version: str
    required_kinds: tuple[str, ...] = ()
    custom_resources: tuple[str, ...] = ()
    certificates: CertificateFacts | None = None
    apps: Mapping[str, AppFacts] = field(default_factory=dict)

    @property
    def require_digest(self) -> bool:
        """Whether images must be pinned by digest here (any app's facts asking is enough)."""
        return any(app.image is not None and app.image.require_digest for app in self.apps.values())

    def deployable_apps(self) -> list[AppFacts]:
        """The apps whose overlay pins an image (what bump, promote and rollback change)."""
        return [app for app in self.apps.values() if app.image is not None]


def environment_names(layout: Layout) -> list[str]:
    """Names of the environments, sorted: every folder of apps/environments/ is one and must
    hold a facts file; every overlay folder of an app must name one of them (a ConfigError
    naming the folder otherwise: an environment must never quietly stop being rendered)."""
    folder = layout.environments_dir
    if not folder.is_dir():
        raise ConfigError(f"{layout.relative(folder)}: folder not found")
    names = []
    for child in sorted(folder.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        if not (child / FACTS_FILE).is_file():
            shown = layout.relative(child).as_posix()
            raise ConfigError(
                f"{shown}/ has no {FACTS_FILE}, and every folder of "
                f"{layout.relative(folder).as_posix()}/ is an environment: restore the file, or "
                "delete the folder and the environment's overlays to remove the environment "
                f"(then `nox -s render -- --prune` deletes clusters/{child.name}/)"
            )
        names.append(child.name)
    _check_overlays(layout, names)
    return names


def _check_overlays(layout: Layout, names: list[str]) -> None:
    for app in layout.app_names():
        for overlay in sorted((layout.app_dir(app) / "overlays").iterdir()):
            if overlay.is_dir() and not overlay.name.startswith(".") and overlay.name not in names:
                facts = layout.relative(layout.facts_file(overlay.name)).as_posix()
                raise ConfigError(
                    f"{layout.relative(overlay).as_posix()}/ is the overlay of an environment "
                    f"that does not exist (no {facts}): restore the facts, or delete the overlay"
                )


def load_environments(layout: Layout) -> list[Environment]:
    """Every environment of the repository, sorted by name."""
    names = environment_names(layout)
    if not names:
        raise ConfigError(
            f"{layout.relative(layout.environments_dir)}: no environment found "
            f"(an environment is a folder with a {FACTS_FILE})"
        )
    return [load_environment(layout, name) for name in names]


def load_environment(layout: Layout, name: str) -> Environment:
    """The facts of environment `name`; a ConfigError naming file and line if they are wrong."""
    facts_file = layout.facts_file(name)
    shown = layout.relative(facts_file)
    if not facts_file.is_file():
        known = ", ".join(environment_names(layout)) or "none"
        raise ConfigError(f"unknown environment {name!r} (known: {known})")
    if not _NAME.match(name):
        raise ConfigError(
            f"environment folder name {name!r} must be a DNS label (lower case, digits, '-')",
            path=layout.relative(layout.environment_dir(name)),
        )
    data = load_config_yaml(facts_file.read_text(encoding="utf-8"), shown)
    return _parse(name, facts_file, shown, data, layout.app_names())


def _parse(
    name: str, facts_file: Path, shown: Path, data: Any, app_names: list[str]
) -> Environment:
    read = _FactsReader(shown)
    if not isinstance(data, Mapping):
        raise read.fail("the facts file must be a mapping of fact names to values")
    read.known_keys(data, _KNOWN_KEYS, "fact")
    return Environment(
        name=name,
        facts_file=facts_file,
        kubernetes_version=read.kubernetes_version(data),
        required_kinds=read.strings(data, "requiredKinds"),
        custom_resources=read.strings(data, "customResources"),
        certificates=read.certificates(data),
        apps=read.apps(data, app_names),
    )


@dataclass(frozen=True)
class _FactsReader:
    """Reads one facts file's values; every error names the file and the line of the value."""

    shown: Path

    def fail(self, message: str, node: Any = None, key: Any = None) -> ConfigError:
        line = node_line(node, key) if node is not None else 1
        return ConfigError(message, path=self.shown, line=line)

    def known_keys(self, node: Mapping[str, Any], known: set[str], what: str) -> None:
        for key in node:
            if key not in known:
                raise self.fail(
                    f"unknown {what} {key!r} (known: {', '.join(sorted(known))})", node, key
                )

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

    def certificates(self, data: Mapping[str, Any]) -> CertificateFacts | None:
        node = data.get("certificates")
        if node is None:
            return None
        if not isinstance(node, Mapping):
            raise self.fail(
                "certificates must be a mapping: issuer, email, server", data, "certificates"
            )
        self.known_keys(node, _CERTIFICATE_KEYS, "certificates key")
        return CertificateFacts(
            issuer=self.text(node, "issuer", "the ClusterIssuer's name"),
            email=self.text(node, "email", "the ACME account's e-mail"),
            server=self.text(node, "server", "the ACME directory URL"),
        )

    def apps(self, data: Mapping[str, Any], app_names: list[str]) -> dict[str, AppFacts]:
        node = data.get("apps") or {}
        if not isinstance(node, Mapping):
            raise self.fail("apps must map each app's name to its facts", data, "apps")
        found = {}
        for app, facts in node.items():
            if app not in app_names:
                known = ", ".join(app_names) or "none"
                raise self.fail(f"apps.{app}: there is no app {app!r} (apps/: {known})", node, app)
            if not isinstance(facts, Mapping):
                raise self.fail(f"apps.{app} must be a mapping: namespace, host, image", node, app)
            self.known_keys(facts, _APP_KEYS, f"apps.{app} fact")
            found[str(app)] = AppFacts(
                name=str(app),
                namespace=self.text(facts, "namespace", f"apps.{app}: the namespace"),
                host=str(facts.get("host") or "").strip(),
                image=self.image(facts, str(app)),
                backup=self.backup(facts, str(app)),
            )
        return found

    def backup(self, facts: Mapping[str, Any], app: str) -> BackupFacts | None:
        node = facts.get("backup")
        if node is None:
            return None
        if not isinstance(node, Mapping):
            message = f"apps.{app}.backup must be a mapping with endpoint, bucket and prefix"
            raise self.fail(message, facts, "backup")
        self.known_keys(node, _BACKUP_KEYS, f"apps.{app}.backup key")
        endpoint = self.text(node, "endpoint", f"apps.{app}.backup.endpoint, the storage's URL")
        if not endpoint.startswith("https://"):
            message = f"apps.{app}.backup.endpoint must be an https:// URL, not {endpoint!r}"
            raise self.fail(message, node, "endpoint")
        bucket = self.text(node, "bucket", f"apps.{app}.backup.bucket")
        if not _BUCKET.match(bucket):
            message = f"apps.{app}.backup.bucket {bucket!r} is not a valid S3 bucket name"
            raise self.fail(message, node, "bucket")
        prefix = self.text(node, "prefix", f"apps.{app}.backup.prefix, e.g. guestbook-dev/")
        if not prefix.endswith("/") or prefix.startswith("/"):
            message = f"apps.{app}.backup.prefix must end with / and not start with one: {prefix!r}"
            raise self.fail(message, node, "prefix")
        region = str(node.get("region") or "").strip()
        return BackupFacts(endpoint=endpoint, bucket=bucket, prefix=prefix, region=region)

    def image(self, facts: Mapping[str, Any], app: str) -> ImageFacts | None:
        image = facts.get("image")
        if image is None:
            return None
        if not isinstance(image, Mapping):
            message = f"apps.{app}.image must be a mapping with name, repository and requireDigest"
            raise self.fail(message, facts, "image")
        self.known_keys(image, _IMAGE_KEYS, f"apps.{app}.image key")
        require_digest = image.get("requireDigest", False)
        if not isinstance(require_digest, bool):
            message = f"apps.{app}.image.requireDigest must be true or false"
            raise self.fail(message, image, "requireDigest")
        return ImageFacts(
            name=self.text(image, "name", "the image name used in the overlay's images: entry"),
            repository=self.text(image, "repository", "the image repository"),
            require_digest=require_digest,
            built_by=self.built_by(image, app),
        )

    def built_by(self, image: Mapping[str, Any], app: str) -> BuilderFacts | None:
        node = image.get("builtBy")
        if node is None:
            return None
        key = f"apps.{app}.image.builtBy"
        if not isinstance(node, Mapping):
            message = f"{key} must be a mapping: repository, and optionally workflow and ref"
            raise self.fail(message, image, "builtBy")
        self.known_keys(node, _BUILT_BY_KEYS, f"{key} key")
        repository = self.text(node, "repository", f"{key}.repository, the GitHub owner/name")
        if not _GITHUB_REPOSITORY.match(repository):
            message = f"{key}.repository must be a GitHub owner/name, not {repository!r}"
            raise self.fail(message, node, "repository")
        defaults = BuilderFacts(repository)
        workflow = str(node.get("workflow") or defaults.workflow).strip()
        if not _WORKFLOW_PATH.match(workflow):
            message = (
                f"{key}.workflow must be a path like .github/workflows/image.yml: {workflow!r}"
            )
            raise self.fail(message, node, "workflow")
        ref = str(node.get("ref") or defaults.ref).strip()
        if not ref.startswith("refs/"):
            message = f"{key}.ref must be a full git ref like refs/heads/main, not {ref!r}"
            raise self.fail(message, node, "ref")
        line = node_line(image, "builtBy") or 0
        return BuilderFacts(repository=repository, workflow=workflow, ref=ref, line=line)
