"""The cluster-state diff between two renders (`diff.objects`): objects by identity, image changes,
field paths, noise left out, and secret values never shown."""

from __future__ import annotations

import re

from gitops.diff.objects import diff_renders
from gitops.diff.report import format_markdown, format_text, summary_line
from gitops.render.state import Rendered


def test_image_change_is_named_in_the_summary(both) -> None:
    diffs = diff_renders(Rendered(both("ghcr.io/x:1")), Rendered(both("ghcr.io/x:2")))
    assert summary_line(diffs) == (
        "dev: 1 changed (Deployment/guestbook-dev/web: image ghcr.io/x:1 → ghcr.io/x:2); "
        "prod: no change"
    )
    (change,) = diffs[0].changes
    assert [(i.container, i.old, i.new) for i in change.images] == [
        ("spec.template.spec.initContainers[migrate]", "ghcr.io/x:1", "ghcr.io/x:2"),
        ("spec.template.spec.containers[web]", "ghcr.io/x:1", "ghcr.io/x:2"),
    ]
    assert change.fields == ()
    assert "-        image: ghcr.io/x:1\n+        image: ghcr.io/x:2\n" in change.patch
    assert change.patch.startswith(
        "--- a/clusters/dev/deployment-web.yaml\n+++ b/clusters/dev/deployment-web.yaml\n"
    )


def test_other_changes_list_their_field_paths(deployment, service, both) -> None:
    before = both("ghcr.io/x:1")
    after = both("ghcr.io/x:1")
    after["prod"]["deployment-web.yaml"] = deployment("prod", "ghcr.io/x:1", replicas=3)
    after["prod"]["service-web.yaml"] = service("prod", port=8080)
    diffs = diff_renders(Rendered(before), Rendered(after))
    assert summary_line(diffs) == (
        "dev: no change; prod: 2 changed (Deployment/guestbook-prod/web: spec.replicas: 1 → 3; "
        "Service/guestbook-prod/web: spec.ports[0].port: 80 → 8080)"
    )


def test_header_lines_are_noise(deployment, both) -> None:
    before = both("ghcr.io/x:1")
    after = both("ghcr.io/x:1")
    after["dev"]["deployment-web.yaml"] = deployment(
        "dev", "ghcr.io/x:1", header="# other\n# two\n"
    )
    diffs = diff_renders(Rendered(before), Rendered(after))
    assert not any(d.changed for d in diffs)
    assert "Generated" not in format_text(diffs, "main")


def test_objects_are_keyed_by_identity_not_file_name(both) -> None:
    before = both("ghcr.io/x:1")
    after = both("ghcr.io/x:1")
    after["dev"]["renamed.yaml"] = after["dev"].pop("service-web.yaml")
    assert not diff_renders(Rendered(before), Rendered(after))[0].changed


def test_added_removed_and_environment_on_one_side(service, both) -> None:
    before = both("ghcr.io/x:1")
    after = both("ghcr.io/x:1")
    del after["dev"]["service-web.yaml"]
    after["dev"]["configmap-extra.yaml"] = (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: guestbook-dev\n"
    )
    after["staging"] = {"service-web.yaml": service("staging")}
    del after["prod"]
    diffs = diff_renders(Rendered(before), Rendered(after))
    assert summary_line(diffs) == (
        "dev: 1 added (ConfigMap/guestbook-dev/extra), 1 removed (Service/guestbook-dev/web); "
        "prod: environment removed (2 objects removed); "
        "staging: new environment (1 objects added)"
    )
    added = diffs[0].changes[0]
    assert added.patch.startswith("--- /dev/null\n+++ b/clusters/dev/configmap-extra.yaml\n")


def test_secret_values_are_never_printed_but_changes_show(both, secret) -> None:
    before = both("ghcr.io/x:1")
    after = both("ghcr.io/x:1")
    before["dev"]["secret-db.yaml"] = secret("dev", "c2VjcmV0MQ==")
    after["dev"]["secret-db.yaml"] = secret("dev", "c2VjcmV0Mg==")
    diffs = diff_renders(Rendered(before), Rendered(after))
    text = format_text(diffs, "main") + format_markdown(diffs, "main")
    for value in ("c2VjcmV0MQ==", "c2VjcmV0Mg==", "Z3Vlc3Q=", "postgres://"):
        assert value not in text
    (change,) = diffs[0].changes
    assert [f.path for f in change.fields] == ["data.password", "stringData.url"]
    assert [f.describe() for f in change.fields] == [
        "data.password: changed",
        "stringData.url: changed",
    ]
    removed = re.findall(r"^-  (\w+): (<hidden:[0-9a-f]{8}>)$", change.patch, re.M)
    added = re.findall(r"^\+  (\w+): (<hidden:[0-9a-f]{8}>)$", change.patch, re.M)
    assert [k for k, _ in removed] == ["password", "url"] == [k for k, _ in added]
    assert removed[0][1] != added[0][1]
    assert "   user: <hidden:" in change.patch  # unchanged value: context line, same marker


def test_a_regenerated_configmap_is_one_changed_object_with_its_changed_keys() -> None:
    """The bug: a one-value web.env change showed as a whole ConfigMap removed and another added."""

    def configmap(name: str, level: str) -> bytes:
        return (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: app\n"
            f"data:\n  LOG_LEVEL: {level}\n  PORT: '8000'\n"
        ).encode()

    before = Rendered(
        {"dev": {"configmap-web-4mttb8ggf4.yaml": configmap("web-4mttb8ggf4", "info")}}
    )
    after = Rendered(
        {"dev": {"configmap-web-fk426kktmm.yaml": configmap("web-fk426kktmm", "DEBUG")}}
    )
    (diff,) = diff_renders(before, after)
    (change,) = diff.changes
    assert (change.status, change.ref, change.renamed_from) == (
        "changed",
        "ConfigMap/app/web-fk426kktmm",
        "web-4mttb8ggf4",
    )
    assert [f.describe() for f in change.fields] == ["data.LOG_LEVEL: info → DEBUG"]
    assert summary_line([diff]) == (
        "dev: 1 changed (ConfigMap/app/web-fk426kktmm: renamed from web-4mttb8ggf4; "
        "data.LOG_LEVEL: info → DEBUG)"
    )
    assert change.patch.count("\n-") == 2  # the name and the value, not the whole object
