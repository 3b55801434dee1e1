"""Release names: parsing and ranking."""
