"""The lab layer (see ARCHITECTURE.md)."""
