"""Library mirror of the arrs, gap discovery and throttled searches."""
