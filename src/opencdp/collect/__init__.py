"""Collection: Segment-spec messages over HTTP into the append-only event log."""
