"""Record syntax shared by probe and checks: SPF, DMARC, TLSA, security.txt (no network, no verdicts)."""
