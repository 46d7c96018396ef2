"""Privacy: consent per purpose (and, later, requests, suppression and retention)."""
