"""The registry layer (see ARCHITECTURE.md)."""
