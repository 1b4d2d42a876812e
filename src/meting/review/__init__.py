"""The review layer (see ARCHITECTURE.md): review windows, formal reactions, explanations,
re-tests through ``run``'s executor, mail notifications and schedules. No HTML pages here:
mails are rendered from this layer's own templates; the dashboard calls these services."""
