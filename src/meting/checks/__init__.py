"""The checks layer (see ARCHITECTURE.md)."""
