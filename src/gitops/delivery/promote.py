"""promote: give an environment exactly the image another one runs, by digest, once its
provenance says the target's builder made it (`gitops.delivery.provenance`)."""

from __future__ import annotations

from gitops.delivery.branch import Outcome
from gitops.delivery.overlay import read_overlay_image
from gitops.delivery.provenance import check_provenance
from gitops.delivery.target import find_target
from gitops.delivery.update import ImageUpdate, apply_update, branch_suffix, check_facts
from gitops.errors import Refused
from gitops.repo.layout import Layout


def promote(
    layout: Layout,
    source_name: str,
    target_name: str,
    *,
    app: str | None = None,
    push: bool = False,
    open_pr: bool = False,
    validate: bool = True,
    require_verified: bool = False,
) -> Outcome:
    """Give `target_name` exactly the image `source_name` runs, by digest.

    Before anything is written, the image's provenance is checked against the builder the
    target's facts name; without a verifier (gh) that is a note, or with `require_verified` a
    refusal.
    """
    if source_name == target_name:
        raise Refused(f"promote {source_name} {target_name}: source and target are the same")
    source = find_target(layout, source_name, app=app)
    target = find_target(layout, target_name, app=source.app.name)
    running = read_overlay_image(source, layout.root)
    if not running.ref.digest:
        raise Refused(
            f"{source.name} runs {running.ref}, which is not pinned by digest "
            f"({layout.relative(running.file)}:{running.line}); promotion copies an image by "
            f"digest, so bump {source_name} to {running.ref.repository}@sha256:… first"
        )
    check_facts(layout, target, running.ref)
    current = read_overlay_image(target, layout.root).ref
    if current.same_image(running.ref):
        raise Refused(
            f"{target.name} already runs {current} ({source.name} runs {running.ref}); "
            "nothing to promote"
        )
    builder = target.image.built_by
    facts = layout.relative(target.facts_file)
    where = f"{facts}:{builder.line}" if builder else str(facts)
    verdict = check_provenance(running.ref, builder, where=where, required=require_verified)
    update = ImageUpdate(target, current, running.ref)
    subject = (
        f"promote({target.name}): {target.image.name} {current} → {running.ref} "
        f"(from {source.name})"
    )
    branch = f"promote/{target_name}/{target.image.name}-{branch_suffix(running.ref)}"
    outcome = apply_update(
        layout, update, subject, branch, push=push, open_pr=open_pr, validate=validate
    )
    outcome.notes.insert(0, verdict)
    return outcome
