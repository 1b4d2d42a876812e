"""The store layer (see ARCHITECTURE.md)."""
