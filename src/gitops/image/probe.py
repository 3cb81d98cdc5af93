"""Talk HTTP to the guestbook running in a container: find its message form, post, read back.

A small client on purpose (http.client and html.parser): the smoke test must not depend on the
service's test requirements, and it sends the CSRF cookie even when the service marks it Secure.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from gitops.errors import GitopsError


@dataclass(frozen=True)
class Form:
    action: str
    fields: dict[str, str]
    text_field: str | None


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._current = {"action": a.get("action", ""), "fields": {}, "text": None}
        elif self._current is not None and tag in {"input", "textarea"} and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "textarea").lower()
            self._current["fields"][a["name"]] = a.get("value", "")
            if kind in {"text", "textarea"} and self._current["text"] is None:
                self._current["text"] = a["name"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            c = self._current
            self.forms.append(Form(c["action"], c["fields"], c["text"]))
            self._current = None


def find_post_form(html: str) -> Form:
    """The page's first POST form with a text field (the guestbook's message form)."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form.text_field:
            return form
    raise GitopsError("the guestbook page has no POST form with a text field")


def cookies_from(headers: list[tuple[str, str]]) -> dict[str, str]:
    """name=value of each Set-Cookie (Secure cookies too: this client sends them over http)."""
    jar: dict[str, str] = {}
    for key, value in headers:
        if key.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    headers: list[tuple[str, str]]


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})}
        )
        resp = conn.getresponse()
        return Response(resp.status, resp.read().decode("utf-8", "replace"), resp.getheaders())
    finally:
        conn.close()


def post_and_read_back(port: int, message: str) -> None:
    page = http_request(port, "GET", "/")
    if page.status != 200:
        raise GitopsError(f"GET / answered {page.status}: {page.body[:300]}")
    form = find_post_form(page.body)
    fields = {**form.fields, form.text_field or "message": message}
    cookie = "; ".join(f"{k}={v}" for k, v in cookies_from(page.headers).items())
    action = form.action or "/"
    posted = http_request(
        port,
        "POST",
        action,
        body=urlencode(fields),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"http://127.0.0.1:{port}/",
            "Origin": f"http://127.0.0.1:{port}",
        },
    )
    if posted.status not in {200, 201, 302, 303}:
        raise GitopsError(f"POST {action} answered {posted.status}: {posted.body[:300]}")
    again = http_request(port, "GET", "/")
    if message not in again.body:
        raise GitopsError(f"the posted message {message!r} is not on the page after POST {action}")
