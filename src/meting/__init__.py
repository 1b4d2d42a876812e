"""meting."""
