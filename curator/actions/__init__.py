"""Policy applied to the catalog: culling, taste, sidecars, keywords, search, embedding backfill."""
