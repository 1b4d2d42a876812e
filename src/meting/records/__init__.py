"""Record syntax shared by probe and checks (no network, no verdicts).

SPF, DMARC, TLSA, security.txt.
"""
