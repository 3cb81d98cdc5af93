"""The guestbook GitOps pipeline: render, validate, diff, bump, promote, roll back."""

__version__ = "0.1.0"
