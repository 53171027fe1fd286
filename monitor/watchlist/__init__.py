"""The watchlist: who is monitored, on which accounts. Files in CSV or YAML."""
