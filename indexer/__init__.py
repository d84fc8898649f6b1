"""Turns curated HTML pages into a versioned search index of sections, passages and vectors."""
