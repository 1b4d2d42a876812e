"""One router per area of the dashboard; each route's access rule is in ``web.access``."""
