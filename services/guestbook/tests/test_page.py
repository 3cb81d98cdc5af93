"""GET and POST /: the HTML page, its form (CSRF-protected, POST/redirect/GET) and the counter."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from board.models import Message
from tests.live import visits

pytestmark = pytest.mark.django_db(transaction=True)


def csrf_client() -> tuple[Client, str]:
    """A client that enforces CSRF as a browser would meet it, and the form's token."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the form has no CSRF token"
    return client, token[1]


def test_page_shows_form_counter_and_messages(client: Client) -> None:
    Message.objects.create(text="already here")
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert '<form method="post" action="/"' in html
    assert 'name="text"' in html
    assert "already here" in html
    assert visits(html) == 1
    assert "no-store" in resp["Cache-Control"]


def test_every_get_counts_one_visit_and_head_counts_none(client: Client) -> None:
    assert [visits(client.get("/").content.decode()) for _ in range(3)] == [1, 2, 3]
    assert client.head("/").status_code == 200
    assert visits(client.get("/").content.decode()) == 4


def test_form_post_redirects_back_and_shows_the_message_escaped() -> None:
    client, token = csrf_client()
    text = "<script>alert('hi')</script>"
    resp = client.post("/", {"text": text, "csrfmiddlewaretoken": token})
    assert resp.status_code == 303
    assert resp["Location"] == "/"
    html = client.get("/").content.decode()
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert Message.objects.get().text == text  # stored as given, escaped only on output


def test_form_post_without_csrf_token_is_refused() -> None:
    client, _ = csrf_client()
    resp = client.post("/", {"text": "forged"})
    assert resp.status_code == 403
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "cannot be empty"), ("   ", "only whitespace"), ("x" * 1001, "at most 1000")],
)
def test_invalid_form_post_shows_the_error_and_stores_nothing(text: str, says: str) -> None:
    client, token = csrf_client()
    resp = client.post("/", {"text": text, "csrfmiddlewaretoken": token})
    assert resp.status_code == 400
    assert says in resp.content.decode()
    assert Message.objects.count() == 0


def test_page_is_bounded_to_the_newest_twenty(client: Client) -> None:
    for i in range(25):
        Message.objects.create(text=f"message number {i:02d}")
    html = client.get("/").content.decode()
    assert html.count("message number") == 20
    assert "message number 24" in html
    assert "message number 04" not in html
    assert "Older messages" in html


def test_put_on_the_page_is_405(client: Client) -> None:
    assert client.put("/").status_code == 405


def test_the_page_kept_per_version_carries_each_visitors_own_token_and_count() -> None:
    """The second visitor gets the page this process rendered for the first: still with a CSRF
    token of their own that the form accepts, their own count, and the newest messages."""
    first, first_token = csrf_client()
    second, second_token = csrf_client()
    assert first_token != second_token
    assert visits(second.get("/").content.decode()) == 3
    resp = second.post("/", {"text": "from the second", "csrfmiddlewaretoken": second_token})
    assert resp.status_code == 303
    resp = first.post("/", {"text": "from the first", "csrfmiddlewaretoken": first_token})
    assert resp.status_code == 303
    html = second.get("/").content.decode()
    assert html.index("from the first") < html.index("from the second")  # newest first
    assert visits(html) == 4
