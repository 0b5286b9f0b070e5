"""Distributed mode: the shared frontier in Redis and scrapy-redis' scheduler made quiet."""
