"""`seal`: put one value into an environment's sealed Secret, offline, and re-render.

The value is encrypted with the public certificate the environment commits
(apps/environments/<env>/sealed-secrets.pem) for the Secret's namespace and name (strict scope:
the controller unseals it only there), merged into `apps/<app>/overlays/<env>/secrets/<name>.yaml`
(its other keys untouched), listed in the overlay, and the environment re-rendered. The value
lives in memory only: it comes from stdin or is generated, and never reaches a file, a message or
a process's arguments.

Every file is written only once all of them are ready: when the render fails or a signal stops
it before clusters/ is written, the overlay's files are put back as they were.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gitops import Say
from gitops.errors import ConfigError, UsageError
from gitops.render import sync
from gitops.render.state import render_all
from gitops.repo.environments import AppFacts, load_environment
from gitops.repo.layout import Layout
from gitops.secrets.certificate import load_certificate
from gitops.secrets.file import read_sealed_secret, rendered
from gitops.secrets.overlay import with_resource
from gitops.secrets.sealing import check_identity, merge_key, seal_value
from gitops.system.files import atomic_write
from gitops.system.signals import signals_held

SECRETS_FOLDER = "secrets"
COMPONENT = "secrets"
"""The `app.kubernetes.io/component` of sealed Secrets: apps/layers.yaml puts it in a layer
before the workloads that read them."""
KUSTOMIZATION = "kustomization.yaml"


@dataclass(frozen=True)
class Sealed:
    """What `seal` changed: the sealed Secret's file, whether it was new, the files rendered."""

    file: Path
    created: bool
    rendered: list[Path]


def seal(
    layout: Layout,
    env_name: str,
    secret: str,
    key: str,
    value: bytes,
    *,
    app: str | None = None,
    say: Say = print,
) -> Sealed:
    """Seal `value` as `key` of Secret `secret` in `env_name` (see the module's doc)."""
    env = load_environment(layout, env_name)
    facts = _app(env.apps, env_name, app)
    check_identity(namespace=facts.namespace, name=secret, key=key)
    if not value:
        raise UsageError("the value is empty: nothing to seal (give it on stdin, or --generate)")
    cert_path = layout.sealing_certificate(env_name)
    if not cert_path.is_file():
        raise ConfigError(
            "no public certificate of the environment's Sealed Secrets controller: put it here "
            "(`kubeseal --fetch-cert`, or the tls.crt of the root key made ahead of time; "
            "bootstrap/README.md)",
            path=layout.relative(cert_path),
        )
    certificate = load_certificate(cert_path.read_bytes(), layout.relative(cert_path))
    if certificate.warning:
        say(f"warning: {certificate.warning}")
    overlay = layout.overlay_dir(facts.name, env_name)
    path = overlay / SECRETS_FOLDER / f"{secret}.yaml"
    shown = layout.relative(path)
    file = read_sealed_secret(path, shown)
    encrypted = seal_value(
        certificate.public_key, namespace=facts.namespace, name=secret, key=key, value=value
    )
    document = merge_key(
        file.document,
        name=secret,
        namespace=facts.namespace,
        key=key,
        encrypted_value=encrypted,
        shown=shown,
    )
    if file.document is None:
        document["metadata"]["labels"] = {
            "app.kubernetes.io/name": facts.name,
            "app.kubernetes.io/component": COMPONENT,
        }
    header = (
        f"Sealed for {env_name} with {layout.relative(cert_path).as_posix()} (strict scope: only "
        f"{facts.namespace}/{secret} can unseal it). Written by `nox -s seal -- {env_name} "
        f"{secret} KEY`; never edit the values by hand."
    )
    text = rendered(file, document, header="\n".join(textwrap.wrap(header, 96)))
    kustomization = overlay / KUSTOMIZATION
    old_overlay = kustomization.read_text(encoding="utf-8")
    new_overlay = with_resource(
        old_overlay, f"{SECRETS_FOLDER}/{secret}.yaml", layout.relative(kustomization)
    )
    changed = _write_and_render(
        layout, env_name, (path, file.text, text), (kustomization, old_overlay, new_overlay)
    )
    return Sealed(path, file.text is None, changed)


def _write_and_render(layout: Layout, env: str, *edits: tuple[Path, str | None, str]) -> list[Path]:
    """Write each (path, old text or None, new text), render `env` into clusters/; the files
    the render changed. Until clusters/ is written, a failed render or a signal puts the old
    texts back (and removes a folder made for a new file); once it is, the change is whole and
    stays, whatever arrives after."""
    made = [p.parent for p, old, _ in edits if old is None and not p.parent.exists()]
    written = False
    try:
        for path, _, new in edits:
            atomic_write(path, new)
        rendered_state = render_all(layout, [env])
        with signals_held():
            changes = sync.write(layout, rendered_state)
            written = True
        return [change.path for change in changes]
    except BaseException:
        if written:
            raise
        with signals_held():
            for path, old, _ in edits:
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    atomic_write(path, old)
            for folder in made:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise


def _app(apps: Mapping[str, AppFacts], env: str, app: str | None) -> AppFacts:
    """The app whose namespace the Secret lives in: `app`, or the only app with facts."""
    facts = dict(apps)
    if app is not None:
        if app not in facts:
            known = ", ".join(sorted(facts)) or "none"
            raise UsageError(f"{env} has no facts for app {app!r} (apps with facts: {known})")
        return facts[app]
    if len(facts) != 1:
        known = ", ".join(sorted(facts)) or "none"
        raise UsageError(f"{env}: say which app the Secret belongs to with --app ({known})")
    return next(iter(facts.values()))
