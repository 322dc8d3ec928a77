"""Registering company tables and documents into the company index (offline, by the CLI)."""
