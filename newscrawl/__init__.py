"""newscrawl: clean, deduplicated article datasets from the Tribun news network."""
