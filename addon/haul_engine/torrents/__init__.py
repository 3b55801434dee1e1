"""The built-in torrent client (libtorrent) and its qBittorrent-compatible WebAPI."""
