"""The engine's HTTP and WebSocket API, served from the command registry."""
