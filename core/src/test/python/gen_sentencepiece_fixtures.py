#!/usr/bin/env python3
"""Writes the SentencePiece-style tokenizer fixtures under
core/src/test/resources/tokenizer/sentencepiece/: four small tokenizer.json files and
expected.json, the ids and decoded texts that Hugging Face `tokenizers` produces for the test
strings in strings.json.

Run from the repository root with Hugging Face `tokenizers` installed (no downloads):
    python3 core/src/test/python/gen_sentencepiece_fixtures.py

The models are trained here on corpus.txt, so the files are small and owe nothing to any
published model, but they use the same pipelines as published ones:
  llama2.json    BPE with byte_fallback, normalizers Prepend("▁") + Replace(" ", "▁"), no
                 pre-tokenizer, decoders Replace + ByteFallback + Fuse + Strip, "a b" merges,
                 post-processor "<s> $A" (the layout of Llama 2 / Mistral files)
  metaspace.json the same vocabulary with a Metaspace pre-tokenizer (prepend_scheme first,
                 split false), ["a", "b"] merges, ignore_merges, and a non-special added token
                 with lstrip/rstrip
  gemma.json     the same vocabulary, normalizer Replace(" ", "▁") only (no prefix), decoders
                 Replace + ByteFallback + Fuse, chat turn markers as special tokens, and a
                 normalized single_word added token "hello"
  unigram.json   a Unigram model with byte_fallback, NFKC normalizer, Metaspace pre-tokenizer
                 (prepend_scheme always, split true), decoders ByteFallback + Metaspace,
                 post-processor "$A </s>"
  unigram-unk.json the same without byte_fallback: unknown characters become <unk>, fused

The test strings are strings.json plus 30 seeded random mixes of the same hard cases. For every
string, expected.json holds: `ids` (add_special_tokens=False, special tokens in the
text recognised, Hugging Face's default), `ordinary` (encode_special_tokens=True: special-token
spellings are plain text), `with_template` (add_special_tokens=True) and `decoded`
(decode(ids, skip_special_tokens=False)).

Hugging Face's Unigram model matches every piece of its vocabulary in the text, the pieces of
special tokens included, so with encode_special_tokens=True it still turns the text "<s>" into
the id of <s>. Tessera never lets plain text produce a special token, so for Unigram files the
`ordinary` reference is taken from a copy whose special pieces are respelled with a private-use
prefix that no test string contains: same ids, same scores, but no text can match them.

Hugging Face's BPE trainer breaks ties between equally frequent pairs in no fixed order, so a
rerun may write a slightly different vocabulary; the files and expected.json always come from
the same run and are committed together.
"""
import json
import os
import random

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.join("core", "src", "test", "resources", "tokenizer", "sentencepiece")
SPECIALS = ["<unk>", "<s>", "</s>"]
BYTES = ["<0x%02X>" % b for b in range(256)]


def corpus():
    with open(os.path.join(HERE, "corpus.txt"), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def trained_bpe():
    """Vocabulary and merges of a small BPE trained on the corpus in SentencePiece's layout."""
    t = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=SPECIALS, show_progress=False,
                                  limit_alphabet=90)
    t.train_from_iterator(corpus(), trainer)
    model = json.loads(t.to_str())["model"]
    trained = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    # SentencePiece's layout: <unk> <s> </s>, the 256 byte tokens, then the learned pieces.
    vocab = {}
    for tok in SPECIALS + BYTES:
        vocab[tok] = len(vocab)
    for tok, _ in trained:
        if tok not in vocab:
            vocab[tok] = len(vocab)
    merges = [m if isinstance(m, list) else m.split(" ", 1) for m in model["merges"]]
    return vocab, merges


def bpe_json(vocab, merges, array_merges, ignore_merges):
    return {
        "type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
        "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": ignore_merges,
        "vocab": vocab,
        "merges": merges if array_merges else [a + " " + b for a, b in merges],
    }


def added(content, tid, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": tid, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def llama2(vocab, merges):
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(s, vocab[s]) for s in SPECIALS],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [vocab["<s>"]], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": bpe_json(vocab, merges, False, False),
    }


def metaspace(vocab, merges):
    d = llama2(vocab, merges)
    d["normalizer"] = None
    d["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    d["model"] = bpe_json(vocab, merges, True, True)
    d["added_tokens"].append(added("<tool>", len(vocab), special=False, normalized=False, lstrip=True, rstrip=True))
    return d


def gemma(vocab, merges):
    d = llama2(vocab, merges)
    n = len(vocab)
    d["added_tokens"] += [added("<start_of_turn>", n), added("<end_of_turn>", n + 1),
                          added("hello", n + 2, special=False, normalized=True, single_word=True)]
    d["normalizer"] = {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
    d["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    return d


def unigram():
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.NFKC()
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    t.decoder = decoders.Sequence([decoders.ByteFallback(),
                                   decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)])
    trainer = trainers.UnigramTrainer(vocab_size=300, special_tokens=SPECIALS, unk_token="<unk>",
                                      show_progress=False)
    t.train_from_iterator(corpus(), trainer)
    d = json.loads(t.to_str())
    pieces = d["model"]["vocab"]
    lowest = min(score for _, score in pieces)
    # Byte pieces after the learned ones, scored below every learned piece, as SentencePiece
    # writes them (they are only reached through byte_fallback).
    known = {p for p, _ in pieces}
    pieces += [[b, lowest - 1.0] for b in BYTES if b not in known]
    d["model"]["vocab"] = pieces
    d["model"]["byte_fallback"] = True
    d["post_processor"] = {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 1}}],
                           "special_tokens": {"</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}
    return d


def unmatchable_specials(d):
    """A copy of a Unigram file whose special pieces no text can spell (see the module comment)."""
    d = json.loads(json.dumps(d))
    specials = {t["content"] for t in d["added_tokens"] if t["special"]}
    d["model"]["vocab"] = [["\ue000" + p if p in specials else p, s] for p, s in d["model"]["vocab"]]
    return d


def random_strings(count):
    """Seeded random mixes of the hard cases: runs of spaces, line breaks, accents, CJK, emoji,
    characters outside the vocabularies and pieces of special-token spellings."""
    rng = random.Random(20261207)
    pool = ["the", "dog", "café", " ", "  ", "\n", "\t", "▁", "日本", "语", "🙂", "🦙", "é", "ß", "0", "42", ".",
            ",", "<", ">", "s", "/", "<s>", "</s>", "<unk>", "<tool>", "hello", "Ω", "\u00a0", "ﬁ", "①", "x"]
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, 14))) for _ in range(count)]


def main():
    with open(os.path.join(HERE, "strings.json"), encoding="utf-8") as f:
        strings = json.load(f)
    strings += random_strings(30)
    vocab, merges = trained_bpe()
    files = {"llama2": llama2(vocab, merges), "metaspace": metaspace(vocab, merges),
             "gemma": gemma(vocab, merges), "unigram": unigram()}
    files["unigram-unk"] = dict(files["unigram"], model=dict(files["unigram"]["model"], byte_fallback=False))
    expected = {}
    for name, d in files.items():
        path = os.path.join(HERE, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(d, f, ensure_ascii=False, separators=(",", ":"))
        tok = Tokenizer.from_file(path)
        plain = Tokenizer.from_str(json.dumps(unmatchable_specials(d) if d["model"]["type"] == "Unigram" else d))
        plain.encode_special_tokens = True
        cases = []
        for s in strings:
            ids = tok.encode(s, add_special_tokens=False).ids
            with_template = tok.encode(s, add_special_tokens=True).ids
            ordinary = plain.encode(s, add_special_tokens=False).ids
            cases.append({"text": s, "ids": ids, "ordinary": ordinary, "with_template": with_template,
                          "decoded": tok.decode(ids, skip_special_tokens=False)})
        expected[name] = cases
    # One case per line: small, and diffs of a rerun stay readable.
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        f.write("{\n")
        for i, (name, cases) in enumerate(expected.items()):
            f.write(json.dumps(name) + ": [\n")
            f.write(",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases))
            f.write("\n]" + ("," if i + 1 < len(expected) else "") + "\n")
        f.write("}\n")


if __name__ == "__main__":
    main()
