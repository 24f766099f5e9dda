#!/usr/bin/env python3
"""Writes a small llama-architecture GGUF model from a seed, byte-identical on every run.

The weights are random (a seeded normal distribution), so the text it generates is gibberish,
but everything else is real: llama.cpp's llama architecture, a SentencePiece ("llama")
tokenizer with byte fallback, BOS/EOS/UNK, a ChatML chat template with its markers as control
tokens, and Q8_0 / Q4_0 / F16 / F32 tensors, so loading,
tokenising, decoding and detokenising run exactly as for a downloaded model.

    gen_llama_gguf.py OUT.gguf [--size tiny|bench] [--quant q8_0|q4_0|f16|f32] [--seed N]

Sizes: `tiny` (about 0.3 M parameters: for tests and the dev chain) and `bench` (about 100 M
parameters: large enough that decoding measures compute, not call overhead).
Requires the PyPI package `gguf` (scripts/model/requirements.txt).
"""
import argparse
import sys

import numpy as np
import gguf

SIZES = {
    "tiny": dict(n_embd=64, n_layer=2, n_head=4, n_ff=192, n_ctx=256),
    "bench": dict(n_embd=768, n_layer=12, n_head=12, n_ff=2048, n_ctx=512),
}
QUANTS = {
    "f32": (gguf.GGMLQuantizationType.F32, gguf.LlamaFileType.ALL_F32),
    "f16": (gguf.GGMLQuantizationType.F16, gguf.LlamaFileType.MOSTLY_F16),
    "q8_0": (gguf.GGMLQuantizationType.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
    "q4_0": (gguf.GGMLQuantizationType.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0),
}

# Words whose pieces (and every prefix of them, so SentencePiece merges can reach them) are in
# the vocabulary, besides single characters and the 256 byte-fallback tokens.
WORDS = """once upon a time there was little girl who lived in village near the forest she
loved to play with her friends and one day they found big red ball under tree it is of for on
that this be at by from have not but what all were when we your can said an each which do how
if will up other about out many then them these so some would make like into him has two more
go see no way could my than first been call its now find long down day did get come made may
part hello world model chain token block provider user job mosaic inference""".split()

CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-:;()"
SPACE = "\u2581"  # SentencePiece's word boundary

# ChatML, as many chat models use it: its markers are control tokens of the vocabulary, so
# chat jobs render and tokenise as for a real chat model (and a marker typed by a user can be
# told apart from the template's).
CHAT_MARKERS = ["<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def vocabulary(extra_words):
    """(pieces, scores, types) of a SentencePiece vocabulary with byte fallback."""
    T = gguf.TokenType
    pieces, types = ["<unk>", "<s>", "</s>"], [T.UNKNOWN, T.CONTROL, T.CONTROL]
    pieces += [f"<0x{b:02X}>" for b in range(256)]
    types += [T.BYTE] * 256
    normal = [SPACE] + list(CHARS) + [SPACE + c for c in CHARS]
    for word in extra_words:
        w = SPACE + word
        normal += [w[:i] for i in range(3, len(w) + 1)]
        normal += [word[:i] for i in range(2, len(word) + 1)]
    seen = set(pieces)
    for p in normal:
        if p not in seen:
            seen.add(p)
            pieces.append(p)
            types.append(T.NORMAL)
    pieces += CHAT_MARKERS
    types += [T.CONTROL] * len(CHAT_MARKERS)
    # Longer pieces merge first: score by length, ties by order.
    scores = [0.0] * len(pieces)
    for i, (p, t) in enumerate(zip(pieces, types)):
        if t == T.NORMAL:
            scores[i] = float(len(p)) - i * 1e-4
    return pieces, scores, types


def write(path, size, quant, seed):
    cfg = SIZES[size]
    qtype, ftype = QUANTS[quant]
    pieces, scores, types = vocabulary(WORDS)
    if size == "bench":
        # Pad the vocabulary to 8192 with synthetic pieces so the output layer is realistic.
        while len(pieces) < 8192:
            pieces.append(f"{SPACE}w{len(pieces)}")
            scores.append(-float(len(pieces)))
            types.append(gguf.TokenType.NORMAL)
    n_vocab = len(pieces)
    n_embd, n_layer, n_head, n_ff, n_ctx = (
        cfg["n_embd"], cfg["n_layer"], cfg["n_head"], cfg["n_ff"], cfg["n_ctx"])
    rng = np.random.default_rng(seed)

    w = gguf.GGUFWriter(path, "llama")
    w.add_name(f"mosaic-{size}-llama-seed{seed}")
    w.add_context_length(n_ctx)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(ftype)
    w.add_tokenizer_model("llama")
    w.add_token_list(pieces)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_chat_template(CHATML)

    def matrix(name, rows, cols, scale):
        data = (rng.standard_normal((rows, cols), dtype=np.float32) * scale).astype(np.float32)
        q = gguf.quants.quantize(data, qtype)
        if qtype in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            w.add_tensor(name, q)
        else:
            w.add_tensor(name, q, raw_dtype=qtype)

    def norm(name):
        w.add_tensor(name, np.ones(n_embd, dtype=np.float32))

    scale = 1.0 / np.sqrt(n_embd)
    matrix("token_embd.weight", n_vocab, n_embd, 1.0)
    for i in range(n_layer):
        norm(f"blk.{i}.attn_norm.weight")
        for t in ("q", "k", "v", "output"):
            matrix(f"blk.{i}.attn_{t}.weight", n_embd, n_embd, scale)
        norm(f"blk.{i}.ffn_norm.weight")
        matrix(f"blk.{i}.ffn_gate.weight", n_ff, n_embd, scale)
        matrix(f"blk.{i}.ffn_up.weight", n_ff, n_embd, scale)
        matrix(f"blk.{i}.ffn_down.weight", n_embd, n_ff, 1.0 / np.sqrt(n_ff))
    norm("output_norm.weight")
    matrix("output.weight", n_vocab, n_embd, scale)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    params = n_vocab * n_embd * 2 + n_layer * (4 * n_embd * n_embd + 3 * n_embd * n_ff)
    return n_vocab, params


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--quant", choices=sorted(QUANTS), default="q8_0")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    n_vocab, params = write(a.out, a.size, a.quant, a.seed)
    print(f"{a.out}: llama, {a.size}, {a.quant}, vocab {n_vocab}, {params / 1e6:.2f} M parameters",
          file=sys.stderr)


if __name__ == "__main__":
    main()
