"""Media servers (Jellyfin, Emby, Plex): connection tests and library refreshes after an import."""
