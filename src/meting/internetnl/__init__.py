"""Working beside Internet.nl: its batch API (v2) as a client, the terms meting keeps to,
and batches of requests recorded in the store and imported as a round (issue 17)."""
