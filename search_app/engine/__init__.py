"""The search engine: a question's path from its words to finished results (no web)."""
