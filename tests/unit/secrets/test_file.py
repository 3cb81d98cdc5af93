"""SealedSecret files: one sealed value changes one line, comments and order stay, the plaintext
never reaches the file, and broken files are errors with the file and the line."""

from __future__ import annotations

import base64
import difflib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gitops.errors import ConfigError
from gitops.secrets.crypto import hybrid_decrypt
from gitops.secrets.file import read_sealed_secret, write_sealed_secret
from gitops.secrets.sealing import encryption_label, merge_key, seal_value

# As `kubeseal --format yaml` writes it (the leading "---": kubeseal.go:397-398), plus comments.
KUBESEAL_FILE = """\
---
# The Django key of dev, sealed for the dev controller.
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: guestbook-django
  namespace: guestbook  # dev's namespace
spec:
  encryptedData:
    # rotated 2026-11
    api-token: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq==
    secret-key: "AgAKAoiQm7QDfB4l+x/0pY2K"
  template:
    metadata:
      labels:
        app.kubernetes.io/name: guestbook
      name: guestbook-django
      namespace: guestbook
    type: Opaque
"""
PLAINTEXT = b"plaintext-that-must-not-reach-disk"


def _changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line for line in diff if line[:1] in "+-"]


def _merge(path: Path, key: str, value: str) -> tuple[str, str]:
    file = read_sealed_secret(path, "overlay/sealed.yaml")
    document = merge_key(
        file.document,
        name="guestbook-django",
        namespace="guestbook",
        key=key,
        encrypted_value=value,
        shown=file.shown,
    )
    return path.read_text(), write_sealed_secret(file, document)


def test_sealing_an_existing_key_changes_its_line_only(tmp_path: Path) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_text(KUBESEAL_FILE)
    before, written = _merge(path, "secret-key", "AgNEW+/=")
    assert path.read_text() == written
    assert _changed_lines(before, written) == [
        '-     secret-key: "AgAKAoiQm7QDfB4l+x/0pY2K"',
        '+     secret-key: "AgNEW+/="',
    ]


def test_sealing_a_new_key_adds_one_line_in_kubeseals_order(tmp_path: Path) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_text(KUBESEAL_FILE)
    before, written = _merge(path, "database-url", "AgDB")
    assert _changed_lines(before, written) == ["+     database-url: AgDB"]
    lines = written.splitlines()
    assert (
        lines.index("    database-url: AgDB")
        == lines.index("    api-token: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq==") + 1
    )


def test_a_file_without_document_start_and_with_folded_values_stays_as_it_is(
    tmp_path: Path,
) -> None:
    text = KUBESEAL_FILE.removeprefix("---\n").replace(
        "api-token: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq==",
        "api-token: >-\n      AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq==",
    )
    path = tmp_path / "sealed.yaml"
    path.write_text(text)
    before, written = _merge(path, "secret-key", "AgNEW")
    assert _changed_lines(before, written) == [
        '-     secret-key: "AgAKAoiQm7QDfB4l+x/0pY2K"',
        '+     secret-key: "AgNEW"',
    ]


def test_a_new_file_is_written_in_kubeseals_layout(tmp_path: Path) -> None:
    path = tmp_path / "overlay" / "guestbook-django.sealed.yaml"
    file = read_sealed_secret(path)
    assert file.text is None and file.document is None
    document = merge_key(
        None, name="guestbook-django", namespace="guestbook", key="k", encrypted_value="AgK"
    )
    write_sealed_secret(file, document, header="The Django key of dev.\nSealed by `nox -s seal`.")
    assert path.read_text() == (
        "# The Django key of dev.\n"
        "# Sealed by `nox -s seal`.\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        "  name: guestbook-django\n"
        "  namespace: guestbook\n"
        "spec:\n"
        "  encryptedData:\n"
        "    k: AgK\n"
        "  template:\n"
        "    metadata:\n"
        "      name: guestbook-django\n"
        "      namespace: guestbook\n"
        "    type: Opaque\n"
    )
    assert read_sealed_secret(path).document == document


def test_the_plaintext_never_reaches_the_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_text(KUBESEAL_FILE)
    sealed = seal_value(
        rsa_key.public_key(),
        namespace="guestbook",
        name="guestbook-django",
        key="secret-key",
        value=PLAINTEXT,
    )
    _merge(path, "secret-key", sealed)
    raw = path.read_bytes()
    assert PLAINTEXT not in raw and base64.b64encode(PLAINTEXT) not in raw
    assert [p.name for p in tmp_path.iterdir()] == ["sealed.yaml"]  # no temporary file left
    stored = read_sealed_secret(path).document
    assert stored is not None
    ciphertext = base64.b64decode(stored["spec"]["encryptedData"]["secret-key"])
    label = encryption_label("guestbook", "guestbook-django")
    assert hybrid_decrypt(rsa_key, ciphertext, label) == PLAINTEXT


def test_the_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_text(KUBESEAL_FILE)
    path.chmod(0o640)
    _merge(path, "secret-key", "AgNEW")
    assert path.stat().st_mode & 0o777 == 0o640


def test_merging_another_secrets_key_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_text(KUBESEAL_FILE)
    file = read_sealed_secret(path, "overlay/sealed.yaml")
    with pytest.raises(ConfigError) as caught:
        merge_key(
            file.document,
            name="other",
            namespace="guestbook",
            key="k",
            encrypted_value="AgK",
            shown=file.shown,
        )
    assert str(caught.value) == (
        "overlay/sealed.yaml:6: holds the SealedSecret guestbook/guestbook-django, "
        "not guestbook/other"
    )
    assert path.read_text() == KUBESEAL_FILE


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("apiVersion: v1\nkind: [unclosed\n", 3, "not valid YAML"),
        ("- a\n- b\n", 1, "holds no mapping"),
        ("apiVersion: v1\nkind: Secret\nmetadata: {}\n", 2, "not a SealedSecret"),
        (
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  template: {}\n",
            3,
            "no spec.encryptedData",
        ),
        (
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
            "spec:\n  encryptedData:\n    a: AgA\n    b: 12\n",
            6,
            "spec.encryptedData.b: a sealed value is a string",
        ),
    ],
)
def test_a_broken_file_is_a_config_error_with_its_line(
    tmp_path: Path, text: str, where: int, message: str
) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        read_sealed_secret(path, "overlay/sealed.yaml")
    assert (caught.value.path, caught.value.line) == (Path("overlay/sealed.yaml"), where)


def test_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(ConfigError, match="cannot read it"):
        read_sealed_secret(path)


def test_a_file_that_cannot_be_kept_as_it_is_is_refused_not_reformatted(tmp_path: Path) -> None:
    path = tmp_path / "sealed.yaml"
    path.write_text(
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata: {name: guestbook-django,   namespace: guestbook}\n"
        "spec:\n"
        "  encryptedData: {}\n"
    )
    file = read_sealed_secret(path, "overlay/sealed.yaml")
    document = merge_key(
        file.document,
        name="guestbook-django",
        namespace="guestbook",
        key="k",
        encrypted_value="AgK",
    )
    with pytest.raises(ConfigError, match="without reformatting it") as caught:
        write_sealed_secret(file, document)
    assert str(caught.value).startswith("overlay/sealed.yaml: ")
    assert "{name: guestbook-django,   namespace" in path.read_text()
