"""One resource for every outside service Haul talks to, each kind with its own settings schema."""
