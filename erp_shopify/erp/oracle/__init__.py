"""oracle adapter."""
