"""The dashboard (``meting serve``): pages and ``/api/v1`` over the store and the services
of the CLI (analysis, report, registry, run), with accounts, roles and authorisation."""
