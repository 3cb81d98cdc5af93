"""The guestbook itself: messages, the visit counter, the page and the JSON API."""
