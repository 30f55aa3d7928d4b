"""tryton adapter."""
