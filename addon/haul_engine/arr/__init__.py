"""Clients for Sonarr, Radarr, Whisparr and Lidarr, and their connector kinds."""
