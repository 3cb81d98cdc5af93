"""`secrets.seal.seal` without kustomize (the render is a stand-in here; the command end to end,
with the real render: tests/integration/kustomize/test_seal.py): what it writes, what it refuses
before writing anything, and that a failed render puts the overlay's files back."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

import gitops.secrets.seal as seal_module
from gitops.errors import ConfigError, GitopsError, UsageError
from gitops.render.state import Rendered
from gitops.repo.environments import load_environment
from gitops.repo.layout import Layout
from gitops.secrets.crypto import hybrid_decrypt
from gitops.secrets.seal import seal
from gitops.secrets.sealing import encryption_label

VALUE = b"unit-test-plaintext-7c1d"
Snapshot = Callable[[Path], dict[str, bytes]]


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The render `seal` runs, replaced: it records the environments and writes nothing."""
    calls: list[list[str]] = []

    def render_all(layout: Layout, envs: list[str]) -> Rendered:
        calls.append(list(envs))
        return Rendered(files={})

    monkeypatch.setattr(seal_module, "render_all", render_all)
    monkeypatch.setattr(seal_module.sync, "write", lambda layout, rendered: [])
    return calls


def _overlay(layout: Layout) -> Path:
    return layout.overlay_dir("guestbook", "dev")


def _sealed_value(path: Path, key: str) -> bytes:
    return base64.b64decode(yaml.safe_load(path.read_text())["spec"]["encryptedData"][key])


def test_a_value_is_sealed_for_the_secrets_namespace_and_name(
    sealing_repo: Layout, rsa_key: rsa.RSAPrivateKey, renders: list[list[str]], snapshot: Snapshot
) -> None:
    overlay = _overlay(sealing_repo)
    before = snapshot(sealing_repo.root)
    sealed = seal(sealing_repo, "dev", "guestbook-django", "secret-key", VALUE, say=print)
    assert sealed.file == overlay / "secrets/guestbook-django.yaml"
    assert sealed.created is False
    assert renders == [["dev"]]
    namespace = load_environment(sealing_repo, "dev").apps["guestbook"].namespace
    label = encryption_label(namespace, "guestbook-django")
    assert hybrid_decrypt(rsa_key, _sealed_value(sealed.file, "secret-key"), label) == VALUE
    after = snapshot(sealing_repo.root)
    changed = sorted(p for p in after if after[p] != before.get(p))
    assert changed == ["apps/guestbook/overlays/dev/secrets/guestbook-django.yaml"]


def test_a_new_secret_gets_a_file_with_the_secrets_component_and_a_resources_line(
    sealing_repo: Layout, renders: list[list[str]]
) -> None:
    kustomization = _overlay(sealing_repo) / "kustomization.yaml"
    before = kustomization.read_text()
    sealed = seal(sealing_repo, "dev", "guestbook-extra", "token", VALUE, say=print)
    assert sealed.created is True
    document = yaml.safe_load(sealed.file.read_text())
    assert document["kind"] == "SealedSecret"
    assert document["metadata"]["labels"] == {
        "app.kubernetes.io/name": "guestbook",
        "app.kubernetes.io/component": "secrets",
    }
    assert sealed.file.read_text().startswith("# Sealed for dev with ")
    added = [line for line in kustomization.read_text().splitlines() if line not in before]
    assert added == ["  - secrets/guestbook-extra.yaml"]


def test_a_failed_render_puts_the_overlays_files_back(
    sealing_repo: Layout, monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    def broken(layout: Layout, envs: list[str]) -> Rendered:
        raise ConfigError("kustomize build failed: simulated", path="apps/guestbook/overlays/dev")

    monkeypatch.setattr(seal_module, "render_all", broken)
    before = snapshot(sealing_repo.root)
    for secret in ("guestbook-django", "guestbook-extra"):
        with pytest.raises(ConfigError, match="simulated"):
            seal(sealing_repo, "dev", secret, "secret-key", VALUE, say=print)
        assert snapshot(sealing_repo.root) == before, secret


def test_a_failed_render_leaves_no_folder_it_made(
    sealing_repo: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(layout: Layout, envs: list[str]) -> Rendered:
        raise ConfigError("kustomize build failed: simulated", path="apps/guestbook/overlays/dev")

    monkeypatch.setattr(seal_module, "render_all", broken)
    folder = _overlay(sealing_repo) / "secrets"
    shutil.rmtree(folder)
    with pytest.raises(ConfigError, match="simulated"):
        seal(sealing_repo, "dev", "guestbook-django", "secret-key", VALUE, say=print)
    assert not folder.exists()


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("qa", "guestbook-django", "k", VALUE), ConfigError, "unknown environment 'qa'"),
        (("dev", "Guestbook", "k", VALUE), UsageError, "not a valid Secret name"),
        (("dev", "guestbook-django", "a key", VALUE), UsageError, "not a valid Secret key"),
        (("dev", "guestbook-django", "secret-key", b""), UsageError, "the value is empty"),
    ],
)
def test_wrong_arguments_are_refused_before_anything_is_written(
    sealing_repo: Layout,
    renders: list[list[str]],
    snapshot: Snapshot,
    *,
    args: tuple[str, str, str, bytes],
    error: type[GitopsError],
    message: str,
) -> None:
    before = snapshot(sealing_repo.root)
    with pytest.raises(error, match=message) as caught:
        seal(sealing_repo, *args, say=print)
    assert caught.value.exit_code == 2
    assert renders == []
    assert snapshot(sealing_repo.root) == before


def test_an_app_without_facts_here_is_a_usage_error(
    sealing_repo: Layout, renders: list[list[str]]
) -> None:
    with pytest.raises(UsageError) as caught:
        seal(sealing_repo, "dev", "s", "k", VALUE, app="infrastructure", say=print)
    assert caught.value.message == (
        "dev has no facts for app 'infrastructure' (apps with facts: guestbook)"
    )


def test_a_missing_certificate_names_where_it_belongs(
    sealing_repo: Layout, renders: list[list[str]], snapshot: Snapshot
) -> None:
    sealing_repo.sealing_certificate("dev").unlink()
    before = snapshot(sealing_repo.root)
    with pytest.raises(ConfigError) as caught:
        seal(sealing_repo, "dev", "guestbook-django", "secret-key", VALUE, say=print)
    assert caught.value.path == Path("apps/environments/dev/sealed-secrets.pem")
    assert "kubeseal --fetch-cert" in caught.value.message
    assert caught.value.exit_code == 2
    assert snapshot(sealing_repo.root) == before


def test_a_private_key_where_the_certificate_belongs_is_refused(
    sealing_repo: Layout, renders: list[list[str]]
) -> None:
    sealing_repo.sealing_certificate("dev").write_text(
        "-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----\n"
    )
    with pytest.raises(ConfigError, match="holds a private key"):
        seal(sealing_repo, "dev", "guestbook-django", "secret-key", VALUE, say=print)


def test_a_file_that_holds_another_secret_is_refused(
    sealing_repo: Layout, renders: list[list[str]], snapshot: Snapshot
) -> None:
    secrets = _overlay(sealing_repo) / "secrets"
    (secrets / "guestbook-django.yaml").write_bytes(
        (secrets / "guestbook-postgres.yaml").read_bytes()
    )
    before = snapshot(sealing_repo.root)
    with pytest.raises(ConfigError, match=r"holds the SealedSecret .*/guestbook-postgres, not"):
        seal(sealing_repo, "dev", "guestbook-django", "secret-key", VALUE, say=print)
    assert snapshot(sealing_repo.root) == before


def test_an_expired_certificate_still_seals_and_warns(
    sealing_repo: Layout,
    rsa_key: rsa.RSAPrivateKey,
    make_certificate: Callable[..., bytes],
    renders: list[list[str]],
) -> None:
    from datetime import UTC, datetime, timedelta

    expired = make_certificate(rsa_key, not_after=datetime.now(UTC) - timedelta(days=1))
    sealing_repo.sealing_certificate("dev").write_bytes(expired)
    said: list[str] = []
    seal(sealing_repo, "dev", "guestbook-django", "secret-key", VALUE, say=said.append)
    assert len(said) == 1 and said[0].startswith("warning: apps/environments/dev/sealed-secrets")
    assert "expired" in said[0]
    assert VALUE.decode() not in said[0]
