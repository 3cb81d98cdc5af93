"""The service's URLs, plus the ceiling the benchmark compares them with: a view that does
nothing (no database, no cache, no template) behind the same middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from guestbook.urls import urlpatterns as service_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial), *service_urlpatterns]
