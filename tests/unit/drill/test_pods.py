"""A rendered pod's containers as the drill runs them here: the environment the kubelet would
build, the cluster's addresses and mount paths replaced by local ones, in container order."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from gitops.drill.pods import Cluster, Image, Pod, expand
from gitops.errors import ConfigError, GitopsError

SETTINGS = {
    "kind": "ConfigMap",
    "metadata": {"name": "settings-abc", "labels": {"app.kubernetes.io/component": "backup"}},
    "data": {"BUCKET": "b", "ENDPOINT": "https://s3.example.com", "URL": "postgres://u@db:5432/x"},
}
SCRIPT = {"kind": "ConfigMap", "metadata": {"name": "script"}, "data": {"hello.sh": "echo hi"}}


def _cluster(tmp_path: Path, **kwargs: Any) -> Cluster:
    return Cluster(
        objects=[SETTINGS, SCRIPT],
        secrets={"creds": {"key": "s3cret"}},
        images=lambda ref: Image(workdir=tmp_path, path=(Path(sys.executable).parent,)),
        **kwargs,
    )


def _container(**fields: Any) -> dict[str, Any]:
    return {"name": "c", "image": "example/image:1", **fields}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(A)-$(B)", "1-2"),
        ("$(MISSING)", "$(MISSING)"),
        ("$$(A)", "$(A)"),
        ("cost $5", "cost $5"),
    ],
)
def test_references_expand_as_the_kubelet_does(text: str, expected: str) -> None:
    assert expand(text, {"A": "1", "B": "2"}) == expected


def test_the_environment_is_envfrom_then_env_in_order(tmp_path: Path) -> None:
    container = _container(
        envFrom=[{"configMapRef": {"name": "settings-abc"}}],
        env=[
            {"name": "BUCKET", "value": "override"},
            {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "key"}}},
            {"name": "WHERE", "value": "$(BUCKET)/$(PASSWORD)"},
            {
                "name": "URL2",
                "valueFrom": {"configMapKeyRef": {"name": "settings-abc", "key": "URL"}},
            },
        ],
    )
    env = _cluster(tmp_path).environment(container)
    assert env["BUCKET"] == "override"
    assert env["WHERE"] == "override/s3cret"
    assert env["URL2"] == "postgres://u@db:5432/x"


def test_a_secret_the_drill_has_no_value_for_is_a_configuration_error(tmp_path: Path) -> None:
    container = _container(
        env=[{"name": "P", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "other"}}}]
    )
    with pytest.raises(ConfigError, match="no value for Secret creds, key other"):
        _cluster(tmp_path).environment(container)


def test_addresses_become_local_ones(tmp_path: Path) -> None:
    cluster = _cluster(
        tmp_path, services={"db": (5432, 40001)}, urls={"https://s3.example.com": "http://h:1"}
    )
    local = cluster.localise(
        {"URL": "postgres://u@db:5432/x", "ENDPOINT": "https://s3.example.com", "PGHOST": "db"}
    )
    assert local == {
        "URL": "postgres://u@127.0.0.1:40001/x",
        "ENDPOINT": "http://h:1",
        "PGHOST": "127.0.0.1",
        "PGPORT": "40001",
    }


def test_containers_run_in_order_with_mounts_as_local_folders(tmp_path: Path) -> None:
    spec = {
        "volumes": [
            {"name": "work", "emptyDir": {}},
            {"name": "s", "configMap": {"name": "script"}},
        ],
        "initContainers": [
            _container(
                name="first",
                command=["sh", "-c", "cat /scripts/hello.sh > /work/out; echo $(BUCKET)"],
                envFrom=[{"configMapRef": {"name": "settings-abc"}}],
                volumeMounts=[
                    {"name": "work", "mountPath": "/work"},
                    {"name": "s", "mountPath": "/scripts"},
                ],
            )
        ],
        "containers": [
            _container(
                name="second",
                command=["sh", "-c", "cat /data/out"],
                volumeMounts=[{"name": "work", "mountPath": "/data"}],
            )
        ],
    }
    said: list[str] = []
    Pod(_cluster(tmp_path), spec, tmp_path).run_all(said.append)
    assert "    b" in said  # $(BUCKET) expanded in the command
    assert said[-1] == "    echo hi"  # the second container read what the first wrote


def test_a_failing_container_stops_the_pod_and_says_which(tmp_path: Path) -> None:
    spec = {
        "containers": [
            _container(name="broken", command=["sh", "-c", "echo no bucket >&2; exit 3"]),
            _container(name="never", command=["sh", "-c", "touch never"]),
        ]
    }
    with pytest.raises(GitopsError, match=r"container broken failed \(exit 3\)\nno bucket"):
        Pod(_cluster(tmp_path), spec, tmp_path).run_all(lambda line: None)
    assert not (tmp_path / "never").exists()
