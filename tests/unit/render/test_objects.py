"""The form of each rendered file (`render.objects`): key order, YAML that means the same object,
file names, and what is not an object."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops.errors import ConfigError
from gitops.render.objects import dump_object, file_name, parse_objects

DEPLOYMENT = {
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "image": "x:1",
                        "name": "web",
                        "args": ["a"],
                        "env": [{"value": "1", "name": "A"}],
                    }
                ]
            }
        },
        "replicas": 1,
    },
    "metadata": {"labels": {"b": "2", "a": "1"}, "namespace": "ns", "name": "web"},
    "kind": "Deployment",
    "apiVersion": "apps/v1",
}


def test_keys_come_in_the_order_people_read_them() -> None:
    text = dump_object(DEPLOYMENT)
    top = [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")]
    assert top == ["apiVersion", "kind", "metadata", "spec"]
    assert text.index("name: web") < text.index("namespace: ns") < text.index("labels:")
    container = text[text.index("containers:") :]
    assert container.index("- name: web") < container.index("args:") < container.index("image:")
    assert "- name: A\n" in text  # list items lead with their name, lists keep their order


def test_dump_is_yaml_that_means_the_same_object() -> None:
    tricky = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {
            "date": "2024-01-01",
            "no": "no",
            "octal": "0755",
            "empty": "",
            "script": "line one\nline two\n",
            "unicode": "café",
            "long": "x" * 300,
        },
    }
    text = dump_object(tricky)
    assert yaml.safe_load(text) == tricky
    assert "script: |\n" in text  # multi-line strings as literal blocks, readable in diffs
    assert "x" * 300 in text  # never folded
    assert parse_objects(text, "here") == [tricky]  # dates stay strings on the way in too


def test_file_names_are_kind_and_name_in_lower_case() -> None:
    assert file_name(DEPLOYMENT) == "deployment-web.yaml"
    role = {"kind": "ClusterRole", "metadata": {"name": "system:Guestbook"}}
    assert file_name(role) == "clusterrole-system-guestbook.yaml"


@pytest.mark.parametrize(
    "stream",
    ["kind: ConfigMap\nmetadata: {name: a}\n", "apiVersion: v1\nkind: ConfigMap\n", "- 1\n"],
)
def test_a_document_that_is_not_an_object_is_refused(stream: str) -> None:
    with pytest.raises(ConfigError, match=r"no apiVersion, kind or metadata\.name") as caught:
        parse_objects("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n" + stream, "ov")
    assert "object 2" in caught.value.message
    assert caught.value.path == Path("ov")
