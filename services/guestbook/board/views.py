"""The page (`/`), the JSON API (`/messages`) and the CPU burner (`/compute`)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from board import store
from board.forms import MessageForm

COMPUTE_DEFAULT_MS = 100
COMPUTE_MAX_MS = 2000  # well under GUNICORN_TIMEOUT: a request can never get its worker killed
HASHES_PER_ROUND = 2000


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Newest messages, visit counter, a form; a valid post redirects back (POST/redirect/GET)."""
    if request.method == "GET":
        return _home_page(request)
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            store.add_message(form.cleaned_data["text"])
            return _see_other(reverse("home"))
        status = 400
    else:
        form, status = MessageForm(), 200
    context = {"form": form, "page": store.newest(), "visits": store.visits()}
    return render(request, "board/home.html", context, status=status)


# The rendered page, per process, under the pages version it was made from (see board.store):
# {(version, counter available): the page split around its two per-request values}.
_rendered: dict[tuple[int, bool], list[str]] = {}


def _home_page(request: HttpRequest) -> HttpResponse:
    """GET /: one Redis round trip, then the page this process last rendered for that version,
    with this request's visit count and CSRF token put in its two slots."""
    visits, version = store.visit_and_version()
    key = (version, visits is not None) if version is not None else None
    parts = _rendered.get(key) if key is not None else None
    if parts is None:
        parts = _render_home_parts(request, counter=visits is not None)
        if key is not None:
            _rendered.clear()  # only the newest version is ever read again
            _rendered[key] = parts
    values = {_VISITS_SLOT: str(visits), _CSRF_SLOT: get_token(request)}
    return HttpResponse("".join(values.get(part, part) for part in parts))


_VISITS_SLOT = "visits-" + secrets.token_hex(16)
_CSRF_SLOT = "csrf-" + secrets.token_hex(16)
_SLOTS = re.compile(f"({_VISITS_SLOT}|{_CSRF_SLOT})")


def _render_home_parts(request: HttpRequest, *, counter: bool) -> list[str]:
    """The page rendered once with random markers where the two per-request values go (messages
    cannot contain them: they are secret to this process), split on those markers."""
    context = {
        "form": MessageForm(),
        "page": store.newest(),
        "visits": _VISITS_SLOT if counter else None,
        "csrf_token": _CSRF_SLOT,
    }
    return _SLOTS.split(render_to_string("board/home.html", context, request=request))


# The JSON API is CSRF-exempt on purpose: it is for scripts, and nothing authenticates a caller
# by cookie (there are no sessions or logins), so a forged cross-site request gains nothing it
# could not do by posting directly. The HTML form at / keeps Django's CSRF protection.
@csrf_exempt
@never_cache
def messages(request: HttpRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return _list_messages(request)
    if request.method == "POST":
        return _post_message(request)
    return _error(
        f"method {request.method} is not allowed", 405, headers={"Allow": "GET, HEAD, POST"}
    )


def _list_messages(request: HttpRequest) -> JsonResponse:
    try:
        limit = _int_param(request, "limit", store.DEFAULT_LIMIT, 1, store.MAX_LIMIT)
        raw_cursor = request.GET.get("before")
        before = store.Cursor.decode(raw_cursor) if raw_cursor is not None else None
    except ValueError as exc:
        return _error(str(exc), 400)
    page = store.newest(limit, before)
    next_url = None
    if page.next_cursor is not None:
        next_url = f"{request.path}?{urlencode({'limit': limit, 'before': page.next_cursor})}"
    return JsonResponse(
        {
            "messages": [entry.as_json() for entry in page.entries],
            "limit": limit,
            "next_cursor": page.next_cursor,
            "next": next_url,
        }
    )


def _post_message(request: HttpRequest) -> JsonResponse:
    try:
        text = _text_from_body(request)
    except ValueError as exc:
        return _error(str(exc), 400)
    form = MessageForm({"text": text})
    if not form.is_valid():
        return _error(form.first_error(), 400)
    entry = store.add_message(form.cleaned_data["text"])
    return JsonResponse(entry.as_json(), status=201)


def _text_from_body(request: HttpRequest) -> str:
    """`{"text": "..."}` when the Content-Type is JSON; otherwise the whole body is the text, as
    in the original tutorial (`curl -d 'hello' .../messages`). ValueError says what is wrong."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise ValueError(
            "the request body is too large (a message has at most 1000 characters)"
        ) from None
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the request body is not valid UTF-8") from None
    if not _is_json(request.content_type):
        return decoded
    try:
        data: Any = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ValueError('the JSON body must be an object with a string "text": {"text": "..."}')
    return data["text"]


def _is_json(content_type: str | None) -> bool:
    kind = (content_type or "").lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


@never_cache
@require_GET
def compute(request: HttpRequest) -> HttpResponse:
    """Burn CPU for `ms` milliseconds (default 100, at most 2000) to exercise the autoscaler;
    404 unless COMPUTE_ENABLED, as if the path did not exist."""
    if not settings.COMPUTE_ENABLED:
        raise Http404
    try:
        wanted = _int_param(request, "ms", COMPUTE_DEFAULT_MS, 0, None)
    except ValueError as exc:
        return _error(str(exc), 400)
    ms = min(wanted, COMPUTE_MAX_MS)
    started = time.perf_counter()
    deadline = started + ms / 1000
    digest, rounds = b"guestbook", 0
    while True:
        for _ in range(HASHES_PER_ROUND):
            digest = hashlib.sha256(digest).digest()
        rounds += 1
        if time.perf_counter() >= deadline:
            break
    return JsonResponse(
        {
            "ms": ms,
            "capped": wanted > COMPUTE_MAX_MS,
            "hashes": rounds * HASHES_PER_ROUND,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }
    )


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValueError(
            f"{name} must be a whole number from {low}" + (f" to {high}" if high else " up")
        )
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be from {low}" + (f" to {high}" if high else " up"))
    return value


def _see_other(location: str) -> HttpResponse:
    return HttpResponse(status=303, headers={"Location": location})


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, headers=headers)
