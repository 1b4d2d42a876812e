"""The norms layer (see ARCHITECTURE.md)."""
