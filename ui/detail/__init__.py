"""The detail pane and what keeps it on the selection."""
