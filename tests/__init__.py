"""The tests. Before any of the project is imported: the models' cache (converted e5, ONNX exports,
embedding cache) of the tests, and of the commands they start, is the machine's test cache, never the
checkout's var/models (search_index.models.MODEL_CACHE)."""
import os
from pathlib import Path

os.environ["MODEL_CACHE"] = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                                / "curated-search-tests" / "models")
