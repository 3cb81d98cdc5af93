"""The guestbook image: podman build, the stand-in base image, the smoke test."""
