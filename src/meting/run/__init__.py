"""The run layer (see ARCHITECTURE.md)."""
