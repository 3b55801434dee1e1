"""The request gate: Overseerr intake, search and pick through the arr, follow to available."""
