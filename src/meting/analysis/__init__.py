"""The analysis layer (see ARCHITECTURE.md)."""
