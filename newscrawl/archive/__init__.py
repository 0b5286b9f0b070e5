"""The web archive: written beside each run, read back from any crawler's WARC/WACZ, replayed, made fixtures."""
