"""Batch sources: files and databases, column mappings, and the import pipeline."""
