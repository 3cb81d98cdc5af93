"""Talk to a running guestbook as a browser would: find its message form, post, read back.

Used by the image's smoke test (plain HTTP on loopback) and by the end-to-end workflow (HTTPS
through the cluster's Gateway, `python -m gitops.image.probe URL --connect ADDRESS:PORT`). A small
client on purpose (http.client and html.parser): it must not depend on the service's test
requirements, and it sends the CSRF cookie even when the service marks it Secure.
"""

from __future__ import annotations

import argparse
import http.client
import secrets
import socket
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

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


@dataclass(frozen=True)
class Site:
    """Where the guestbook answers: `url` as a browser names it, reached at `connect` (an
    address:port, e.g. a `kubectl port-forward`) when given; `insecure` skips certificate checks
    (a self-signed test certificate)."""

    url: str
    connect: str | None = None
    insecure: bool = False

    @classmethod
    def local(cls, port: int) -> Site:
        return cls(f"http://127.0.0.1:{port}")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        parts = urlsplit(self.url)
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address, _, connect_port = (self.connect or f"{host}:{port}").rpartition(":")
        if parts.scheme != "https":
            return http.client.HTTPConnection(address, int(connect_port), timeout=timeout)
        context = ssl.create_default_context()
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return _SNIConnection(host, address, int(connect_port), context, timeout)


class _SNIConnection(http.client.HTTPSConnection):
    """HTTPS to `address`:`port` that presents `server_name` (SNI), as a browser on that host."""

    def __init__(
        self, server_name: str, address: str, port: int, context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._server_name = server_name
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self._server_name)


def request(
    site: Site,
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    conn = site.connection(timeout)
    try:
        host = urlsplit(site.url).netloc
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        resp = conn.getresponse()
        return Response(resp.status, resp.read().decode("utf-8", "replace"), resp.getheaders())
    finally:
        conn.close()


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """`request` to the guestbook on 127.0.0.1:`port` over plain HTTP."""
    return request(Site.local(port), method, path, body=body, headers=headers, timeout=timeout)


def post_and_read_back(site: Site, message: str) -> None:
    """Load the page, post `message` through its form (CSRF cookie and token as a browser sends
    them) and find it on the page again; a GitopsError saying which step failed."""
    page = request(site, "GET", "/")
    if page.status != 200:
        raise GitopsError(f"GET {site.url}/ answered {page.status}: {page.body[:300]}")
    form = find_post_form(page.body)
    fields = {**form.fields, form.text_field or "message": message}
    cookie = "; ".join(f"{k}={v}" for k, v in cookies_from(page.headers).items())
    action = form.action or "/"
    posted = request(
        site,
        "POST",
        action,
        body=urlencode(fields),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"{site.origin}/",
            "Origin": site.origin,
        },
    )
    if posted.status not in {200, 201, 302, 303}:
        raise GitopsError(f"POST {action} answered {posted.status}: {posted.body[:300]}")
    again = request(site, "GET", "/")
    if message not in again.body:
        raise GitopsError(f"the posted message {message!r} is not on the page after POST {action}")


def main(argv: list[str] | None = None) -> int:
    """`python -m gitops.image.probe URL`: post a message through the guestbook at URL and read
    it back (the end-to-end workflow's last step; exit 1 with the reason when it fails)."""
    parser = argparse.ArgumentParser(prog="python -m gitops.image.probe", description=main.__doc__)
    parser.add_argument("url", help="the guestbook as a browser names it, e.g. https://host")
    parser.add_argument("--connect", metavar="ADDRESS:PORT", help="connect here instead")
    parser.add_argument("--insecure", action="store_true", help="accept any certificate")
    parser.add_argument("--message", default=f"probe {secrets.token_hex(6)}")
    args = parser.parse_args(argv)
    site = Site(args.url.rstrip("/"), args.connect, args.insecure)
    try:
        post_and_read_back(site, args.message)
    except (GitopsError, OSError) as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 1
    print(f"probe: posted {args.message!r} to {site.url} and read it back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
