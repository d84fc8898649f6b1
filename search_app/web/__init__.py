"""The web layer: requests in, pages and JSON out, the usage log; the engine does the searching."""
