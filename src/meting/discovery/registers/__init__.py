"""Registers of government organisations and domains, read into registry entries."""
