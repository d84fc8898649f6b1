"""Models trained here from weights the project installs (`make train-ranker`); never imported by the app."""
