"""WireGuard inside the add-on: tunnel, kill switch, public address, forwarded port."""
