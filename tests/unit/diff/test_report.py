"""How the cluster-state diff reads (`diff.report`): as text, one section per environment, and as a
pull-request comment cut to GitHub's limit."""

from __future__ import annotations

from gitops.diff.objects import diff_renders
from gitops.diff.report import GITHUB_COMMENT_LIMIT, MARKER, format_markdown, format_text
from gitops.render.state import Rendered


def test_text_output_has_one_section_per_environment(both) -> None:
    text = format_text(
        diff_renders(Rendered(both("ghcr.io/x:1")), Rendered(both("ghcr.io/x:2"))), "main (abc)"
    )
    assert text.splitlines()[0] == "cluster-state diff: main (abc) → work tree"
    assert "== dev: 1 changed ==" in text
    assert "== prod: no change ==" in text
    assert "changed Deployment/guestbook-dev/web: image ghcr.io/x:1 → ghcr.io/x:2" in text


def test_markdown_comment_shape(both) -> None:
    diffs = diff_renders(Rendered(both("ghcr.io/x:1")), Rendered(both("ghcr.io/x:2")))
    body = format_markdown(diffs, "main (abc)")
    lines = body.splitlines()
    assert lines[0] == MARKER
    assert lines[1].endswith(
        "dev: 1 changed (Deployment/guestbook-dev/web: image ghcr.io/x:1 → ghcr.io/x:2); "
        "prod: no change"
    )
    assert "<details><summary>dev: 1 changed</summary>" in lines
    assert "<details><summary>prod: no change</summary>" in lines
    assert body.count("```diff") == 1
    assert body.count("</details>") == 2
    assert "cut to fit" not in body


def test_markdown_is_cut_to_the_comment_limit_with_a_notice() -> None:
    many_before: dict[str, dict[str, bytes]] = {"dev": {}, "prod": {}}
    many_after: dict[str, dict[str, bytes]] = {"dev": {}, "prod": {}}
    for env in ("dev", "prod"):
        for i in range(300):
            name = f"configmap-c{i}.yaml"
            head = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n"
            many_before[env][name] = (head + "".join(f"  k{j}: old\n" for j in range(20))).encode()
            many_after[env][name] = (head + "".join(f"  k{j}: new\n" for j in range(20))).encode()
    diffs = diff_renders(Rendered(many_before), Rendered(many_after))
    full = sum(len(c.patch) for d in diffs for c in d.changes)
    assert full > GITHUB_COMMENT_LIMIT
    body = format_markdown(diffs, "main")
    assert len(body) <= GITHUB_COMMENT_LIMIT
    assert "cut to fit GitHub's comment limit (65,536 characters)" in body
    assert "more object(s) not shown here" in body
    assert body.count("```diff") == body.count("\n```\n") + body.endswith("```")  # fences closed
    small = format_markdown(diffs, "main", limit=5_000)
    assert len(small) <= 5_000
    assert small.count("<details>") == 2


def _many(env_sizes: dict[str, int]) -> tuple[Rendered, Rendered]:
    before: dict[str, dict[str, bytes]] = {}
    after: dict[str, dict[str, bytes]] = {}
    for env, count in env_sizes.items():
        before[env], after[env] = {}, {}
        for i in range(count):
            name = f"configmap-c{i}.yaml"
            head = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n"
            before[env][name] = (head + "".join(f"  k{j}: old\n" for j in range(20))).encode()
            after[env][name] = (head + "".join(f"  k{j}: new\n" for j in range(20))).encode()
    return Rendered(before), Rendered(after)


def _section(body: str, env: str) -> str:
    start = body.index(f"<details><summary>{env}:")
    return body[start : body.index("</details>", start)]


def test_every_environment_gets_its_summary_and_a_fair_share_of_a_cut_comment() -> None:
    """The bug: the budget went to the first environment and prod showed no diff at all."""
    diffs = diff_renders(*_many({"dev": 300, "prod": 300}))
    body = format_markdown(diffs, "main")
    dev, prod = _section(body, "dev"), _section(body, "prod")
    assert prod.count("```diff") > 0
    assert abs(dev.count("```diff") - prod.count("```diff")) <= 2
    assert "<details><summary>prod: 300 changed</summary>" in body


def test_a_small_environment_is_shown_whole_beside_a_large_one() -> None:
    diffs = diff_renders(*_many({"dev": 300, "prod": 2}))
    body = format_markdown(diffs, "main")
    prod = _section(body, "prod")
    assert prod.count("```diff") == 2
    assert "not shown here" not in prod
    assert "not shown here" in _section(body, "dev")
    assert len(body) <= GITHUB_COMMENT_LIMIT


def test_risks_open_the_environment_section(deployment) -> None:
    before = {"prod": {"deployment-web.yaml": deployment("prod", "ghcr.io/x:1")}}
    after = {"prod": {"deployment-web.yaml": deployment("prod", "ghcr.io/x:1", replicas=3)}}
    hpa = (
        b"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n"
        b"  namespace: guestbook-prod\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
        b"    kind: Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 5\n"
    )
    before["prod"]["hpa.yaml"] = after["prod"]["hpa.yaml"] = hpa
    diffs = diff_renders(Rendered(before), Rendered(after))
    body = format_markdown(diffs, "main")
    section = _section(body, "prod")
    risk = section.index(":warning: **Risk:** Deployment/guestbook-prod/web: spec.replicas")
    assert risk < section.index("```diff")
    assert "prod: 1 changed, 1 risk(s)" in body
    text = format_text(diffs, "main")
    assert "RISK: Deployment/guestbook-prod/web: spec.replicas changed, but " in text
