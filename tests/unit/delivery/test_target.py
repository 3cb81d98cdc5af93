"""Which app a delivery command changes (`delivery.target`): the only app that pins an image, the
one `--app` names, or the one whose repository the new image comes from; anything else is a
usage error (exit 2) that names the apps."""

from __future__ import annotations

import pytest

from gitops.delivery.target import find_target
from gitops.errors import UsageError
from gitops.repo.layout import Layout


def test_with_one_app_it_is_that_app(layout: Layout) -> None:
    target = find_target(layout, "dev")
    assert (target.env.name, target.app.name, target.image.name) == (
        "dev",
        "guestbook",
        "guestbook",
    )
    assert target.image.repository == "ghcr.io/example/guestbook"
    assert target.overlay_dir == layout.root / "apps/guestbook/overlays/dev"
    assert target.facts_file == layout.facts_file("dev")
    assert target.name == "dev"  # messages and commit subjects say "dev", as before
    assert find_target(layout, "prod").image.require_digest is True


def test_app_names_the_app(layout: Layout) -> None:
    assert find_target(layout, "dev", app="guestbook").app.name == "guestbook"


def test_an_app_without_an_image_here_is_a_usage_error(layout: Layout) -> None:
    with pytest.raises(UsageError) as caught:
        find_target(layout, "dev", app="shop")
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        "dev: cannot tell which app to change (apps with an image here: guestbook); "
        "name one with --app"
    )


def test_with_several_apps_an_unnamed_app_is_ambiguous(two_apps: Layout) -> None:
    with pytest.raises(UsageError) as caught:
        find_target(two_apps, "dev")
    assert caught.value.exit_code == 2
    assert "apps with an image here: guestbook, shop" in caught.value.message
    assert "name one with --app" in caught.value.message


def test_with_several_apps_app_picks_one_and_messages_name_it(two_apps: Layout) -> None:
    target = find_target(two_apps, "dev", app="shop")
    assert (target.app.name, target.app.namespace) == ("shop", "shop-dev")
    assert target.image.repository == "ghcr.io/example/shop"
    assert target.overlay_dir == two_apps.overlay_dir("shop", "dev")
    assert target.name == "dev/shop"


def test_with_several_apps_the_images_repository_picks_one(two_apps: Layout) -> None:
    """bump knows the new image: its repository says which app it is for."""
    assert find_target(two_apps, "dev", repository="ghcr.io/example/shop").app.name == "shop"
    assert (
        find_target(two_apps, "dev", repository="ghcr.io/example/guestbook").app.name == "guestbook"
    )
    with pytest.raises(UsageError, match="name one with --app"):
        find_target(two_apps, "dev", repository="ghcr.io/example/other")


def test_an_unknown_environment_is_a_usage_error_naming_the_known_ones(layout: Layout) -> None:
    with pytest.raises(UsageError) as caught:
        find_target(layout, "staging")
    assert caught.value.exit_code == 2
    assert caught.value.message == "unknown environment 'staging' (known: dev, prod)"


def test_an_environment_without_any_image_says_none(layout: Layout) -> None:
    facts = layout.facts_file("dev")
    text = facts.read_text()
    facts.write_text(text[: text.index("    image:")])
    with pytest.raises(UsageError, match=r"apps with an image here: none"):
        find_target(layout, "dev")
