"""The guestbook GitOps pipeline: render, validate, diff, bump, promote and roll back cluster state."""

__version__ = "0.1.0"
