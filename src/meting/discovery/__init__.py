"""Discovery (issue 16): which domains and hosts there are, beyond what the registry lists."""
