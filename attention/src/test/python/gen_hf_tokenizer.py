#!/usr/bin/env python3
"""Trains a tiny GPT-2-style byte-level BPE tokenizer with Hugging Face `tokenizers` and writes it,
with reference encodings, next to the tiny GPT-2 model directory:
    attention/src/test/resources/hf/gpt2-tiny/tokenizer.json
    attention/src/test/resources/hf/gpt2-tiny/tokenizer_expected.json   ({"text": [...], "ids": [[...], ...]})

The vocabulary is the 256 byte symbols, a few merges learned from a fixed English text, and the
<|endoftext|> special token (280 ids in all, the tiny model's vocab_size). Run from the repository
root with an interpreter that has `tokenizers` (not needed by the tests):
    python3 attention/src/test/python/gen_hf_tokenizer.py
"""
import json
import os

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

VOCAB = 280
CORPUS = [
    "the cat sat on the mat and the dog sat on the log",
    "there is the theory that the other three think the same thing",
    "a tiny model that no one trained, written in the Hugging Face layout",
    "Tokens, tokens everywhere: the tokenizer splits the text into pieces.",
] * 4

tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=["<|endoftext|>"], show_progress=False,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tok.train_from_iterator(CORPUS, trainer=trainer)
assert tok.get_vocab_size() == VOCAB, tok.get_vocab_size()

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "resources", "hf", "gpt2-tiny")
os.makedirs(out, exist_ok=True)
tok.save(os.path.join(out, "tokenizer.json"))

texts = ["the cat sat on the mat", "Hello, world! The other three think.", "  spaces\tand\nnewlines ",
         "ünïcödé and emoji 🙂", "the theory"]
ids = [tok.encode(t).ids for t in texts]
with open(os.path.join(out, "tokenizer_expected.json"), "w") as f:
    json.dump({"generator": "attention/src/test/python/gen_hf_tokenizer.py", "text": texts, "ids": ids}, f,
              ensure_ascii=False)
print("eot id", tok.token_to_id("<|endoftext|>"), "sample", ids[0])
