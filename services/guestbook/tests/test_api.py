"""GET and POST /messages: the JSON API scripts use."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from board import store
from board.models import MAX_LENGTH, Message

pytestmark = pytest.mark.django_db(transaction=True)  # cache invalidation runs on commit


def post_json(client: Client, payload: object) -> tuple[int, dict]:
    resp = client.post("/messages", json.dumps(payload), content_type="application/json")
    return resp.status_code, resp.json()


def test_post_json_stores_the_text_as_given_and_answers_201(client: Client) -> None:
    text = "  <b>Hello</b> & welcome\nsecond line  "
    status, body = post_json(client, {"text": text})
    assert status == 201
    assert body["text"] == text
    assert set(body) == {"id", "text", "created"}
    assert body["created"].endswith("Z")
    assert Message.objects.get(pk=body["id"]).text == text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain; charset=utf-8", "plain hello"),
        ("application/x-www-form-urlencoded", "what curl -d sends"),  # curl's default type
        ("", "no content type at all"),
    ],
)
def test_post_plain_body_is_the_message(client: Client, content_type: str, body: str) -> None:
    resp = client.generic("POST", "/messages", body.encode(), content_type=content_type)
    assert resp.status_code == 201
    assert resp.json()["text"] == body
    assert Message.objects.get().text == body


def test_post_accepts_exactly_1000_characters_not_bytes(client: Client) -> None:
    text = "é" * MAX_LENGTH  # 2000 bytes in UTF-8, 1000 characters
    status, body = post_json(client, {"text": text})
    assert status == 201
    assert body["text"] == text


@pytest.mark.parametrize(
    ("content_type", "raw", "says"),
    [
        ("application/json", b'{"text": ""}', "empty"),
        ("application/json", b'{"text": " \\n\\t "}', "whitespace"),
        ("application/json", json.dumps({"text": "x" * 1001}).encode(), "at most 1000"),
        ("application/json", b'{"text": "a\\u0000b"}', "Null characters"),
        ("application/json", b'{"text": "unterminated', "not valid JSON"),
        ("application/json", b"[1, 2]", '"text"'),
        ("application/json", b'{"message": "wrong key"}', '"text"'),
        ("application/json", b'{"text": 42}', '"text"'),
        ("application/json", b'{"text": "caf\xe9"}', "UTF-8"),
        ("text/plain", b"", "empty"),
        ("text/plain", b"   ", "whitespace"),
        ("text/plain", b"\xff\xfe not utf-8", "UTF-8"),
        ("text/plain", b"y" * 1001, "at most 1000"),
        ("text/plain", b"z" * (70 * 1024), "too large"),
    ],
)
def test_bad_posts_get_400_with_a_json_error_and_store_nothing(
    client: Client, content_type: str, raw: bytes, says: str
) -> None:
    resp = client.generic("POST", "/messages", raw, content_type=content_type)
    assert resp.status_code == 400
    assert resp["Content-Type"] == "application/json"
    error = resp.json()["error"]
    assert says in error
    assert Message.objects.count() == 0


def test_api_is_csrf_exempt_for_scripts(client: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    resp = strict.post("/messages", b"from a script", content_type="text/plain")
    assert resp.status_code == 201


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_get_405_with_allow(client: Client, method: str) -> None:
    resp = getattr(client, method)("/messages")
    assert resp.status_code == 405
    assert resp["Allow"] == "GET, HEAD, POST"
    assert "not allowed" in resp.json()["error"]


def test_get_lists_newest_first_with_the_documented_shape(client: Client) -> None:
    for text in ("first", "second", "third"):
        post_json(client, {"text": text})
    body = client.get("/messages").json()
    assert [m["text"] for m in body["messages"]] == ["third", "second", "first"]
    assert body["limit"] == store.DEFAULT_LIMIT
    assert body["next_cursor"] is None
    assert body["next"] is None


def test_new_message_is_on_the_very_next_read(client: Client) -> None:
    assert client.get("/messages").json()["messages"] == []  # cached now
    post_json(client, {"text": "fresh"})
    assert [m["text"] for m in client.get("/messages").json()["messages"]] == ["fresh"]


def test_pages_cover_every_message_once_even_with_equal_timestamps(client: Client) -> None:
    same = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    Message.objects.bulk_create([Message(text=f"m{i}", created=same) for i in range(7)])
    Message.objects.create(text="newest")
    seen: list[str] = []
    url = "/messages?limit=3"
    pages = 0
    while url:
        body = client.get(url).json()
        assert len(body["messages"]) <= 3
        seen += [m["text"] for m in body["messages"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert seen[0] == "newest"
    assert sorted(seen) == sorted(["newest"] + [f"m{i}" for i in range(7)])
    assert len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "limit=%C2%B2", "before=x"],
)
def test_bad_list_parameters_get_400(client: Client, query: str) -> None:
    resp = client.get(f"/messages?{query}")
    assert resp.status_code == 400
    assert resp.json()["error"]


def test_cursor_out_of_range_is_a_400_not_a_500(client: Client) -> None:
    resp = client.get("/messages?before=999999999999999999-1")
    assert resp.status_code == 400
    assert "range" in resp.json()["error"]
