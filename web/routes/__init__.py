"""Routers: browser pages (``pages``, ``queues``) and the JSON API (``api``)."""
