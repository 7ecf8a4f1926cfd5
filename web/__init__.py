"""The web application of the records system: ``create_app`` in :mod:`web.app`, docs/web.md."""
