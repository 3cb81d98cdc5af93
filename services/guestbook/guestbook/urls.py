"""/healthz and /readyz are not here: `guestbook.probes.ProbeMiddleware` answers them first."""

from django.urls import path

from board import views

urlpatterns = [
    path("", views.home, name="home"),
    path("messages", views.messages, name="messages"),
    path("compute", views.compute, name="compute"),
]
