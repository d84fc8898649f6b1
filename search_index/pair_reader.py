"""The second stage's model: reads a question and a passage together and scores how well the passage
answers it (higher is better; a logit). An ONNX graph with 8-bit weights and its tokenizer, in
RANKER_DIR, made by `make train-ranker` (training.cross_encoder); onnxruntime only, nothing downloads.
Not shipped: measured, no model trained here yet helps people's questions (README, "Second stage"),
so the stage is off (search_app.engine.ranking.RankingConfig.reread_candidates) and the folder is read
only when it is turned on.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

GRAPH = "model.int8.onnx"
MAX_TOKENS = 160
RANKER_DIR = Path("var/ranker")


class PairReader:
    def __init__(self, folder: Path = RANKER_DIR, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(folder / GRAPH), options,
                                                    providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS, strategy="longest_first")
        self.tokenizer.enable_padding()
        self.inputs = {i.name for i in self.session.get_inputs()}

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        """One score per passage, read with the question."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        encoded = self.tokenizer.encode_batch([(question, passage) for passage in passages])
        feeds = {"input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
                 "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64)}
        return self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0].reshape(-1)


@lru_cache(maxsize=1)
def trained() -> PairReader:
    """The pair reader `make train-ranker` made, loaded once per process."""
    return PairReader(RANKER_DIR)
