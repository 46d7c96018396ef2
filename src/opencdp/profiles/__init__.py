"""Profiles: the single customer view built on the identity tables."""
