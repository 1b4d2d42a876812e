"""The probe layer (see ARCHITECTURE.md)."""
