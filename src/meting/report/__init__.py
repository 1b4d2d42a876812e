"""The report layer (see ARCHITECTURE.md)."""
