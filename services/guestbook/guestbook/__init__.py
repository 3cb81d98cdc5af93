"""The guestbook's Django project: settings, URLs, WSGI entry point, logging and probes."""
