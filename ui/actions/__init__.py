"""The window's actions over the catalog worker: bursts, search, XMP, duplicates."""
