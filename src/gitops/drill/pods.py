"""Run a rendered pod's containers on this machine: their commands, their environment, in order.

The drill proves the backup with the commands the cluster runs, so nothing here writes a
command of its own: each container's `command` (and `args`) comes from the rendered manifest,
its environment from `env`/`envFrom` resolved against the rendered ConfigMaps and the drill's
Secret values, and `$(VAR)` references are expanded as the kubelet does. What cannot be the same
on one machine is said here and nowhere else:

- where things are: a Service's name and port become 127.0.0.1 and a local port (`PGHOST` and
  `PGPORT` included), and a URL the caller names (the object storage's endpoint) its local one;
- files: each volume is a local folder (an emptyDir a fresh one, a configMap one holds the
  ConfigMap's keys as files), and each mount path in a command or a value is replaced by it;
- programs: an image is a working directory and folders put first on PATH (the PostgreSQL
  image's tools are the machine's PostgreSQL binaries; the guestbook image's python3 is this
  interpreter, in services/guestbook as the image's /app).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops import Say
from gitops.errors import ConfigError, GitopsError
from gitops.system.process import tail

_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")
TIMEOUT = 600.0


@dataclass(frozen=True)
class Image:
    """How an image's programs run here: in `workdir`, with `path` first on PATH; or, with
    `podman` (the program and an image reference), in that image itself."""

    workdir: Path
    path: tuple[Path, ...] = ()
    podman: tuple[str, str] | None = None


@dataclass
class Cluster:
    """The rendered objects of one namespace, and how this machine stands in for the cluster."""

    objects: list[dict[str, Any]]
    secrets: Mapping[str, Mapping[str, str]]
    images: Callable[[str], Image]
    services: dict[str, tuple[int, int]] = field(default_factory=dict)  # name: (port, local)
    urls: dict[str, str] = field(default_factory=dict)  # URL in the manifests: local URL

    def find(self, kind: str, component: str) -> dict[str, Any]:
        """The one object of `kind` whose app.kubernetes.io/component is `component`."""
        found = [
            obj
            for obj in self.objects
            if obj.get("kind") == kind
            and (obj.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/component")
            == component
        ]
        if len(found) != 1:
            raise ConfigError(
                f"the rendered state has {len(found)} {kind}s of component {component}"
            )
        return found[0]

    def config_map(self, name: str) -> dict[str, str]:
        for obj in self.objects:
            if obj.get("kind") == "ConfigMap" and obj["metadata"]["name"] == name:
                return dict(obj.get("data") or {})
        raise ConfigError(f"no ConfigMap {name} in the rendered state")

    def secret_value(self, name: str, key: str) -> str:
        try:
            return self.secrets[name][key]
        except KeyError:
            raise ConfigError(f"the drill has no value for Secret {name}, key {key}") from None

    def environment(self, container: Mapping[str, Any]) -> dict[str, str]:
        """The container's environment as the kubelet builds it (envFrom, then env in order)."""
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                env.update(self.config_map(source["configMapRef"]["name"]))
            else:
                raise ConfigError(f"envFrom {source} is not supported by the drill")
        for item in container.get("env") or []:
            env[item["name"]] = self._value(item, env)
        return env

    def _value(self, item: Mapping[str, Any], env: Mapping[str, str]) -> str:
        if "valueFrom" not in item:
            return expand(str(item.get("value", "")), env)
        source = item["valueFrom"]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            return self.config_map(ref["name"])[ref["key"]]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            return self.secret_value(ref["name"], ref["key"])
        raise ConfigError(f"env {item['name']}: {source} is not supported by the drill")

    def localise(self, env: Mapping[str, str]) -> dict[str, str]:
        """`env` with the cluster's addresses replaced by this machine's."""
        local = {}
        for name, value in env.items():
            text = value
            for url, here in self.urls.items():
                text = text.replace(url, here)
            for service, (port, there) in self.services.items():
                text = text.replace(f"{service}:{port}", f"127.0.0.1:{there}")
            local[name] = text
        host = local.get("PGHOST")
        if host in self.services:
            port, there = self.services[host]
            if local.get("PGPORT", "5432") == str(port):
                local["PGHOST"], local["PGPORT"] = "127.0.0.1", str(there)
        return local


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: a defined variable is replaced, `$$` is one `$`, and an
    undefined reference stays as written."""

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        return env.get(match[1], match[0])

    return _REFERENCE.sub(one, text)


class Pod:
    """One pod of `cluster`, from a pod template's spec, with its volumes as local folders."""

    def __init__(self, cluster: Cluster, spec: Mapping[str, Any], scratch: Path) -> None:
        self.cluster = cluster
        self.spec = spec
        self.scratch = scratch
        self.folders: dict[str, Path] = {}
        for volume in spec.get("volumes") or []:
            folder = self._folder(volume["name"])
            if "configMap" in volume:
                data = cluster.config_map(volume["configMap"]["name"])
                for key, text in data.items():
                    (folder / key).write_text(text)
            elif "emptyDir" not in volume:
                raise ConfigError(
                    f"volume {volume['name']}: only emptyDir and configMap are supported"
                )

    def _folder(self, volume: str) -> Path:
        """The local folder of `volume`, made empty and writable by every user of the pod (as an
        emptyDir is) the first time; a claim of a StatefulSet's volumeClaimTemplates is one too."""
        if volume not in self.folders:
            folder = Path(tempfile.mkdtemp(prefix=f"{volume}-", dir=self.scratch))
            folder.chmod(0o777)
            self.folders[volume] = folder
        return self.folders[volume]

    def mount(self, volume: str, folder: Path) -> None:
        """Use `folder` for `volume` (a server's socket folder, say)."""
        self.folders[volume] = folder

    def container(self, name: str) -> dict[str, Any]:
        for container in self.containers():
            if container["name"] == name:
                return container
        raise ConfigError(f"the pod has no container {name}")

    def containers(self) -> list[dict[str, Any]]:
        return [*(self.spec.get("initContainers") or []), *self.spec["containers"]]

    def run_all(self, say: Say, extra_env: Mapping[str, str] | None = None) -> None:
        """Run the init containers, then the containers, each to completion, as a Job's pod
        with one container does; the first that fails stops the pod."""
        for container in self.containers():
            self.run(container, container.get("command", []) + container.get("args", []), say,
                     extra_env)  # fmt: skip

    def run(
        self,
        container: Mapping[str, Any],
        argv: Iterable[str],
        say: Say,
        extra_env: Mapping[str, str] | None = None,
    ) -> str:
        """Run `argv` as `container` would; its output. A GitopsError when it fails."""
        image = self.cluster.images(container["image"])
        env = self.cluster.localise({**self.cluster.environment(container), **(extra_env or {})})
        words = [expand(word, env) for word in argv]
        if image.podman is None:
            words = [self._paths(word, container) for word in words]
            env = {name: self._paths(value, container) for name, value in env.items()}
            base = {
                "PATH": os.pathsep.join([*map(str, image.path), os.environ.get("PATH", "")]),
                "HOME": str(image.workdir),
                "LANG": "C.UTF-8",
            }
            command, env = words, {**base, **env}
        else:
            command, env = self._in_podman(image.podman, container, words, env), dict(os.environ)
        shown = " ".join(" ".join(words).split())
        say(f"  {container['name']}: {shown[:150]}{'…' if len(shown) > 150 else ''}")
        result = subprocess.run(
            command,
            cwd=image.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise GitopsError(
                f"container {container['name']} failed (exit {result.returncode}){tail(result)}"
            )
        for line in result.stdout.splitlines():
            say(f"    {line}")
        return result.stdout

    def _in_podman(
        self,
        podman: tuple[str, str],
        container: Mapping[str, Any],
        words: list[str],
        env: Mapping[str, str],
    ) -> list[str]:
        """`podman run` of the image as the kubelet would run `container`: its user, a read-only
        root, its volumes at their mount paths, the host's network (the servers are on
        loopback), its environment."""
        program, reference = podman
        security = {**(self.spec.get("securityContext") or {}),
                    **(container.get("securityContext") or {})}  # fmt: skip
        argv = [program, "run", "--rm", "--network", "host", "--entrypoint", words[0]]
        if security.get("readOnlyRootFilesystem"):
            argv.append("--read-only")
        if "runAsUser" in security:
            argv += ["--user", f"{security['runAsUser']}:{security.get('runAsGroup', 0)}"]
        for mount in container.get("volumeMounts") or []:
            folder = self._folder(mount["name"])
            argv += ["-v", f"{folder}:{mount['mountPath']}{':ro' if mount.get('readOnly') else ''}"]
        for name, value in sorted(env.items()):
            argv += ["-e", f"{name}={value}"]
        return [*argv, reference, *words[1:]]

    def _paths(self, text: str, container: Mapping[str, Any]) -> str:
        """`text` with each mount path (where it starts a path: at its start, or after a space,
        quote, `=` or `:`) replaced by the volume's folder, in one pass, so that a folder put
        in never has another mount path replaced inside it."""
        mounts = {
            m["mountPath"].rstrip("/"): m["name"] for m in container.get("volumeMounts") or []
        }
        if not mounts:
            return text
        alternatives = "|".join(re.escape(path) for path in sorted(mounts, key=len, reverse=True))
        pattern = re.compile(rf"(?:(?<=^)|(?<=[\s'\"=:]))({alternatives})(?=/|$|[\s'\";])")
        return pattern.sub(lambda m: str(self._folder(mounts[m[1]])), text)
