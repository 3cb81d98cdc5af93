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
