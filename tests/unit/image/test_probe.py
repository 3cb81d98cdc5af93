"""Posting a message and reading it back like a person would (`image.probe`), against stand-in
servers."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from gitops.errors import GitopsError
from gitops.image import probe as imageprobe


def test_the_message_form_is_found() -> None:
    html = (
        '<form method="get" action="/search"><input name="q"></form>'
        '<form method="POST" action="/sign/"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="tok"><textarea name="text"></textarea><button>Sign</button></form>'
    )
    form = imageprobe.find_post_form(html)
    assert form.action == "/sign/"
    assert form.text_field == "text"
    assert form.fields["csrfmiddlewaretoken"] == "tok"
    with pytest.raises(GitopsError, match="no POST form"):
        imageprobe.find_post_form("<p>nothing</p>")


def test_cookies_include_secure_ones() -> None:
    headers = [("Set-Cookie", "csrftoken=abc; Secure; SameSite=Lax"), ("X", "y")]
    assert imageprobe.cookies_from(headers) == {"csrftoken": "abc"}


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _guestbook_double(store: list[str]):
    """A WSGI app that behaves like the guestbook's form: CSRF cookie + hidden field."""

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            data = parse_qs(environ["wsgi.input"].read(size).decode())
            if "csrftoken=abc" not in environ.get("HTTP_COOKIE", "") or data.get(
                "csrfmiddlewaretoken"
            ) != ["tok"]:
                start_response("403 Forbidden", [])
                return [b"CSRF verification failed"]
            store.append(data["message"][0])
            start_response("302 Found", [("Location", "/")])
            return [b""]
        page = (
            "<form method='post'><input type='hidden' name='csrfmiddlewaretoken' value='tok'>"
            "<input type='text' name='message'></form>" + "".join(f"<li>{m}</li>" for m in store)
        )
        start_response("200 OK", [("Set-Cookie", "csrftoken=abc; Secure; Path=/")])
        return [page.encode()]

    return app


def test_post_and_read_back_against_a_form_with_csrf() -> None:
    store: list[str] = []
    server = make_server("127.0.0.1", 0, _guestbook_double(store), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        imageprobe.post_and_read_back(
            imageprobe.Site.local(server.server_port), "hello from the smoke test"
        )
        assert store == ["hello from the smoke test"]
    finally:
        server.shutdown()


def test_post_that_does_not_show_up_fails() -> None:
    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"<form method='post'><input name='message'></form>"]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(GitopsError, match="is not on the page"):
            imageprobe.post_and_read_back(imageprobe.Site.local(server.server_port), "lost message")
    finally:
        server.shutdown()
