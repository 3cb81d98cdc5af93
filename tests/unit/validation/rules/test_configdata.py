"""Secrets and ConfigMaps the API server refuses (`rules.configdata`, GB230-GB232): each check
fires on what kubernetes/kubernetes' ValidateSecret/ValidateConfigMap (and the JSON decoding of
[]byte) refuse, and stays silent on the closest valid object."""

from __future__ import annotations

import binascii
import random

import pytest

from gitops.validation.rules.configdata import base64_problem, decoded_size


def secret(body: str, secret_type: str = "") -> str:
    kind = f"type: {secret_type}\n" if secret_type else ""
    return f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: ns}}\n{kind}{body}"


def config_map(body: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: ns}}\n{body}"


BIG = "A" * (1024 * 1024)  # 1 MiB of text
CASES = {
    # GB230: base64 of data (Secret) and binaryData (ConfigMap); stringData is text
    "data-not-base64": ("GB230", secret("data: {k: 'hello world'}\n"),
                        secret("stringData: {k: 'hello world'}\n")),
    "unpadded": ("GB230", secret("data: {k: aGk}\n"), secret("data: {k: aGk=}\n")),
    "url-safe": ("GB230", secret("data: {k: '-_-_'}\n"), secret("data: {k: '+/+/'}\n")),
    "folded-block": ("GB230", secret("data:\n  k: >\n    aGVs\n    bG8=\n"),
                     secret("data:\n  k: |\n    aGVs\n    bG8=\n")),
    "padding-inside": ("GB230", secret("data: {k: 'aGk=aGk='}\n"), secret("data: {k: ''}\n")),
    "binary-data": ("GB230", config_map("binaryData: {logo: '*'}\n"),
                    config_map("binaryData: {logo: iVBORw==}\ndata: {name: '*'}\n")),
    # GB231: keys, a key in both ConfigMap bags, the 1 MiB limit
    "secret-key": ("GB231", secret("data: {'a/b': aGk=}\n"), secret("data: {a.b_c-D: aGk=}\n")),
    "string-data-key": ("GB231", secret("stringData: {'..x': v}\n"),
                        secret("stringData: {'.x': v}\n")),
    "configmap-key": ("GB231", config_map("data: {'a b': v}\n"), config_map("data: {a_b: v}\n")),
    "both-bags": ("GB231", config_map("data: {k: v}\nbinaryData: {k: aGk=}\n"),
                  config_map("data: {k: v}\nbinaryData: {j: aGk=}\n")),
    "too-big": ("GB231", config_map(f"data: {{a: {BIG}, b: x}}\n"),
                config_map(f"data: {{a: {BIG}}}\n")),
    "too-big-decoded": ("GB231", secret(f"data: {{a: {'QUFB' * 349526}}}\n"),
                        secret(f"data: {{a: {'QUFB' * 349525}}}\n")),
    # GB232: what each type requires
    "tls": ("GB232", secret("stringData: {tls.crt: c}\n", "kubernetes.io/tls"),
            secret("stringData: {tls.crt: c, tls.key: ''}\n", "kubernetes.io/tls")),
    "dockerconfigjson-missing": (
        "GB232", secret("stringData: {config.json: '{}'}\n", "kubernetes.io/dockerconfigjson"),
        secret("stringData: {.dockerconfigjson: '{}'}\n", "kubernetes.io/dockerconfigjson")),
    "dockerconfigjson-not-json": (
        "GB232", secret("stringData: {.dockerconfigjson: '{'}\n", "kubernetes.io/dockerconfigjson"),
        secret("data: {.dockerconfigjson: e30=}\n", "kubernetes.io/dockerconfigjson")),
    "dockercfg-not-an-object": (
        "GB232", secret("stringData: {.dockercfg: '[]'}\n", "kubernetes.io/dockercfg"),
        secret("stringData: {.dockercfg: 'null'}\n", "kubernetes.io/dockercfg")),
    "basic-auth": ("GB232", secret("stringData: {user: u}\n", "kubernetes.io/basic-auth"),
                   secret("stringData: {password: ''}\n", "kubernetes.io/basic-auth")),
    "ssh-auth": ("GB232", secret("data: {ssh-privatekey: ''}\n", "kubernetes.io/ssh-auth"),
                 secret("data: {ssh-privatekey: aGk=}\n", "kubernetes.io/ssh-auth")),
    "service-account-token": (
        "GB232", secret("", "kubernetes.io/service-account-token"),
        secret("", "kubernetes.io/service-account-token").replace(
            "namespace: ns}", "namespace: ns, annotations: {kubernetes.io/service-account.name: x}}"
        )),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_fires_on_what_the_api_server_refuses_and_not_next_to_it(
    case: str, load_manifests, run_rules
) -> None:
    rule_id, bad, good = CASES[case]
    hits = run_rules(load_manifests(bad), only=[rule_id])
    assert [h.rule for h in hits] == [rule_id], hits
    assert hits[0].message[-1] not in ".;:"
    valid = load_manifests(good)
    assert len(valid) == 1  # it is YAML, and an object
    assert run_rules(valid, only=["GB23"]) == []


def test_findings_point_at_the_key(load_manifests, run_rules) -> None:
    text = secret("data:\n  ok: aGk=\n  bad: 'a b'\n")
    (hit,) = run_rules(load_manifests(text), only=["GB230"])
    assert (hit.line, hit.path) == (6, ("data", "bad"))
    assert "folded block" in hit.message


def test_other_apis_secrets_and_opaque_or_custom_types_are_left_alone(
    load_manifests, run_rules
) -> None:
    other = "apiVersion: example.com/v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: '*'}\n"
    custom = secret("stringData: {anything: x}\n", "example.com/custom")
    assert run_rules(load_manifests(other + "---\n" + custom), only=["GB23"]) == []


_ALPHABET = "ABCab01+/=-_ *"


@pytest.mark.parametrize("seed", range(3))
def test_base64_is_judged_as_go_decodes_it(seed: int) -> None:
    """Go's json []byte decoding is base64.StdEncoding: padded quanta of 4, nothing after the
    padding, line breaks skipped. Python's strict mode agrees, except that it takes a lone '='
    after a whole quantum ("QUJD="), which Go's decodeQuantum refuses: hence the length test."""
    rng = random.Random(seed)
    for _ in range(3000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(10)))
        try:
            decoded: bytes | None = binascii.a2b_base64(text, strict_mode=True)
        except binascii.Error:
            decoded = None
        if len(text) % 4:
            decoded = None
        assert (base64_problem(text) is None) == (decoded is not None), text
        if decoded is not None:
            assert decoded_size(text) == len(decoded)
            assert base64_problem(text[:2] + "\r\n" + text[2:]) is None
