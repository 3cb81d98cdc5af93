from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from board.models import MAX_LENGTH


class MessageForm(forms.Form):
    """The rules for a message, shared by the HTML form and the JSON API: 1 to 1000 characters,
    not only whitespace, no NUL (PostgreSQL cannot store it). Kept as written (`strip=False`)."""

    text = forms.CharField(
        label="Your message",
        max_length=MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "A message cannot be empty."},
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise ValidationError("A message cannot be only whitespace.", code="blank")
        return text

    def first_error(self) -> str:
        """The first error as one sentence, for the JSON API."""
        for errors in self.errors.values():
            return str(errors[0])
        return "invalid message"
