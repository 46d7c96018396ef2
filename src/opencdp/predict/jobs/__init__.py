"""Training runs: read from the profile tables through a cursor, fit and evaluate with no
database handle held, then write scores and the registry entry through the single writer.

A job takes `read` and `write` (the workspace's) and a `now`; it returns the registry entry
of the model it trained. A failed run is recorded too, with its reason.
"""
