from __future__ import annotations

from django.db import models
from django.utils import timezone

MAX_LENGTH = 1000  # characters (code points), checked by MessageForm and by the column type


class Message(models.Model):
    """A guestbook entry, stored exactly as written (escaped when shown, never altered)."""

    text = models.CharField(max_length=MAX_LENGTH)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created", "-id")  # newest first; id breaks ties within a microsecond
        indexes = (models.Index(fields=("created", "id"), name="board_message_created_id"),)

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.text[:40]}"
