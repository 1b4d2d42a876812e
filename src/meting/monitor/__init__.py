"""The annual Monitor Open Standaarden (SPEC §11): tenders that ask for the standards of the
'pas toe of leg uit' list, the government-wide facilities (GDI) that apply them, their
figures against the targets (rules in ``data/monitor-rules.yaml``) and the monitor report."""
