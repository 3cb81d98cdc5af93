"""Labels per scope as upstream builds them, `kubeseal --raw` output, the SealedSecret object as
kubeseal writes it, and merging one key into an existing one."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gitops.errors import ConfigError, UsageError
from gitops.secrets.certificate import load_certificate
from gitops.secrets.crypto import DecryptionError, hybrid_decrypt
from gitops.secrets.sealing import (
    SCOPES,
    encryption_label,
    merge_key,
    scope_of,
    seal_value,
    sealed_secret,
)

SECRET = b"s3cr3t-value-never-shown"


@pytest.mark.parametrize(
    ("scope", "label"),
    [("strict", b"myns/myname"), ("namespace-wide", b"myns"), ("cluster-wide", b"")],
)
def test_labels_are_upstreams(scope: Any, label: bytes) -> None:
    """The cases of upstream's TestEncryptionLabel (sealedsecret_test.go:67-85)."""
    assert encryption_label("myns", "myname", scope) == label


def test_an_unknown_scope_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="strict, namespace-wide, cluster-wide"):
        encryption_label("myns", "myname", "global")  # type: ignore[arg-type]


@pytest.mark.parametrize("scope", SCOPES)
def test_seal_value_opens_only_with_its_scopes_label(
    rsa_key: rsa.RSAPrivateKey, scope: Any
) -> None:
    sealed = seal_value(
        rsa_key.public_key(),
        namespace="guestbook",
        name="web",
        key="password",
        value=SECRET,
        scope=scope,
    )
    ciphertext = base64.b64decode(sealed, validate=True)  # the standard alphabet, padded
    assert base64.b64encode(ciphertext).decode() == sealed
    assert (
        hybrid_decrypt(rsa_key, ciphertext, encryption_label("guestbook", "web", scope)) == SECRET
    )
    for other in set(SCOPES) - {scope}:
        with pytest.raises(DecryptionError):
            hybrid_decrypt(rsa_key, ciphertext, encryption_label("guestbook", "web", other))


def test_strict_sealing_binds_the_name_and_the_namespace(rsa_key: rsa.RSAPrivateKey) -> None:
    sealed = base64.b64decode(
        seal_value(rsa_key.public_key(), namespace="guestbook", name="web", key="k", value=SECRET)
    )
    for namespace, name in [("guestbook", "web2"), ("other", "web")]:
        with pytest.raises(DecryptionError):
            hybrid_decrypt(rsa_key, sealed, encryption_label(namespace, name))


def test_a_value_sealed_with_the_controllers_certificate_opens_with_its_key(
    upstream_certificate_pem: bytes, upstream_private_key: rsa.RSAPrivateKey
) -> None:
    certificate = load_certificate(upstream_certificate_pem, "cert.pem")
    sealed = seal_value(
        certificate.public_key, namespace="my-namespace", name="my-secret", key="k", value=SECRET
    )
    ciphertext = base64.b64decode(sealed)
    assert hybrid_decrypt(upstream_private_key, ciphertext, b"my-namespace/my-secret") == SECRET
    assert sealed.startswith("Ag")  # 0x0200: 512 bytes of RSA, like every upstream value


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"namespace": "Guestbook"}, "not a valid namespace"),
        ({"namespace": "a" * 64}, "not a valid namespace"),
        ({"name": "web/secrets"}, "not a valid Secret name"),
        ({"key": "has space"}, "not a valid Secret key"),
        ({"value": b""}, "nothing to seal"),
    ],
)
def test_bad_arguments_are_usage_errors_without_the_value(
    rsa_key: rsa.RSAPrivateKey, arguments: dict[str, Any], message: str
) -> None:
    given = {"namespace": "guestbook", "name": "web", "key": "password", "value": SECRET}
    with pytest.raises(UsageError, match=message) as caught:
        seal_value(rsa_key.public_key(), **{**given, **arguments})
    assert SECRET.decode() not in str(caught.value)


def test_the_object_is_the_one_kubeseal_writes_for_strict_scope() -> None:
    """kubeseal's YAML: keys sorted (sigs.k8s.io/yaml); no creationTimestamp since apimachinery
    0.33 (kubernetes/kubernetes#130989), which upstream builds with (go.mod: v0.35.4)."""
    obj = sealed_secret("web", "guestbook", {"b": "AgB", "a": "AgA"})
    assert obj == {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "web", "namespace": "guestbook"},
        "spec": {
            "encryptedData": {"a": "AgA", "b": "AgB"},
            "template": {"metadata": {"name": "web", "namespace": "guestbook"}, "type": "Opaque"},
        },
    }
    assert list(obj) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(obj["spec"]) == ["encryptedData", "template"]
    assert list(obj["spec"]["encryptedData"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("scope", "annotation"),
    [
        ("namespace-wide", "sealedsecrets.bitnami.com/namespace-wide"),
        ("cluster-wide", "sealedsecrets.bitnami.com/cluster-wide"),
    ],
)
def test_a_wider_scope_is_annotated_on_the_object_and_its_template(
    scope: Any, annotation: str
) -> None:
    obj = sealed_secret("web", "guestbook", {}, scope=scope, secret_type="kubernetes.io/basic-auth")
    assert obj["metadata"] == {
        "annotations": {annotation: "true"},
        "name": "web",
        "namespace": "guestbook",
    }
    assert obj["spec"]["template"]["metadata"]["annotations"] == {annotation: "true"}
    assert obj["spec"]["template"]["type"] == "kubernetes.io/basic-auth"
    assert scope_of(obj) == scope


def test_the_secrets_labels_and_annotations_go_to_the_template_only() -> None:
    obj = sealed_secret(
        "web", "guestbook", {}, labels={"app": "web"}, annotations={"z": "1", "a": "2"}
    )
    assert obj["metadata"] == {"name": "web", "namespace": "guestbook"}
    template_metadata = obj["spec"]["template"]["metadata"]
    assert list(template_metadata) == ["annotations", "labels", "name", "namespace"]
    assert list(template_metadata["annotations"]) == ["a", "z"]
    assert template_metadata["labels"] == {"app": "web"}


@pytest.mark.parametrize(
    ("annotations", "scope"),
    [
        ({}, "strict"),
        ({"sealedsecrets.bitnami.com/namespace-wide": "true"}, "namespace-wide"),
        ({"sealedsecrets.bitnami.com/namespace-wide": "false"}, "strict"),
        (
            {
                "sealedsecrets.bitnami.com/namespace-wide": "true",
                "sealedsecrets.bitnami.com/cluster-wide": "true",
            },
            "cluster-wide",
        ),
    ],
)
def test_scope_of_reads_the_annotations_like_the_controller(
    annotations: dict[str, str], scope: str
) -> None:
    """sealedsecret_expansion.go:112-120 (TestClusterAndNamespaceWide: cluster-wide wins)."""
    assert scope_of({"metadata": {"annotations": annotations}}) == scope


def test_merge_into_nothing_makes_a_new_sealed_secret() -> None:
    assert merge_key(None, name="web", namespace="guestbook", key="k", encrypted_value="AgX") == (
        sealed_secret("web", "guestbook", {"k": "AgX"})
    )


def test_merging_one_key_keeps_the_others_and_the_rest_unchanged() -> None:
    existing = sealed_secret("web", "guestbook", {"a": "AgA", "c": "AgC"}, labels={"app": "web"})
    before = copy.deepcopy(existing)
    replaced = merge_key(
        existing, name="web", namespace="guestbook", key="c", encrypted_value="AgNEW"
    )
    added = merge_key(existing, name="web", namespace="guestbook", key="b", encrypted_value="AgB")
    assert existing == before  # not changed in place
    assert replaced["spec"]["encryptedData"] == {"a": "AgA", "c": "AgNEW"}
    assert list(added["spec"]["encryptedData"].items()) == [
        ("a", "AgA"),
        ("b", "AgB"),
        ("c", "AgC"),
    ]
    for merged in (replaced, added):
        assert {k: v for k, v in merged.items() if k != "spec"} == {
            k: v for k, v in before.items() if k != "spec"
        }
        assert merged["spec"]["template"] == before["spec"]["template"]


def test_a_new_key_goes_last_when_the_keys_are_not_sorted() -> None:
    existing = sealed_secret("web", "guestbook", {})
    existing["spec"]["encryptedData"] = {"z": "AgZ", "a": "AgA"}
    merged = merge_key(existing, name="web", namespace="guestbook", key="m", encrypted_value="AgM")
    assert list(merged["spec"]["encryptedData"]) == ["z", "a", "m"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "api"}, "holds the SealedSecret guestbook/web, not guestbook/api"),
        ({"namespace": "other"}, "holds the SealedSecret guestbook/web, not other/web"),
        ({"scope": "cluster-wide"}, "sealed with scope strict, not cluster-wide"),
    ],
)
def test_merging_into_another_secret_or_scope_fails_clearly(
    change: dict[str, Any], message: str
) -> None:
    existing = sealed_secret("web", "guestbook", {"a": "AgA"})
    arguments: dict[str, Any] = {"name": "web", "namespace": "guestbook", "key": "k"}
    with pytest.raises(ConfigError, match=message) as caught:
        merge_key(existing, **{**arguments, **change}, encrypted_value="AgK", shown="web.yaml")
    assert str(caught.value).startswith("web.yaml: ")


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web"}}, "not a bitnami"),
        (
            {
                "apiVersion": "bitnami.com/v1alpha1",
                "kind": "SealedSecret",
                "metadata": {"name": "web", "namespace": "guestbook"},
                "spec": {"data": "AgA=", "encryptedData": {}},
            },
            "deprecated spec.data",
        ),
        (
            {
                "apiVersion": "bitnami.com/v1alpha1",
                "kind": "SealedSecret",
                "metadata": {"name": "web", "namespace": "guestbook"},
                "spec": {"template": {}},
            },
            "no spec.encryptedData",
        ),
    ],
)
def test_merging_into_something_else_fails_clearly(existing: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        merge_key(existing, name="web", namespace="guestbook", key="k", encrypted_value="AgK")
