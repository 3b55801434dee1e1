"""WireGuard inside the add-on: the tunnel, its kill switch, the address it shows, the forwarded port."""
