"""The index the app reads: its on-disk format, the readers of a published version, publishing, and
what both the indexer and the app need at each question (keyword terms, the query encoder, best bets,
synonyms). The indexer writes through it; the app only reads."""
