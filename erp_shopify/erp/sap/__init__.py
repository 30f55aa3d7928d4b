"""sap adapter."""
