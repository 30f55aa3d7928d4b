"""netsuite adapter."""
