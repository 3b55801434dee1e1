"""Indexers: Torznab feeds and Prowlarr, searched together within each one's limits."""
