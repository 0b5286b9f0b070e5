"""The network: its sites and hosts, its URL rules, and who the crawler says it is."""
