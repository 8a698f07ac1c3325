#!/usr/bin/env python3
"""Independent reference embeddings for Kith's encoder agreement test.

A plain NumPy forward pass of all-MiniLM-L6-v2 over the original f32
safetensors (parsed by hand: no torch, no candle), with token ids from the
Python `tokenizers` package, masked mean pooling and L2 normalisation, exactly
as sentence-transformers computes it. Writes tests/fixtures/minilm_reference.json.

    pip install numpy tokenizers
    target/release/kith model fetch
    python3 models/reference_minilm.py models/all-MiniLM-L6-v2 > tests/fixtures/minilm_reference.json
"""
import json
import math
import struct
import sys

import numpy as np
from tokenizers import Tokenizer

SENTENCES = [
    "I loved Dune for its world-building and political intrigue",
    "a space opera with political intrigue",
    "epic science fiction",
    "a cookbook of Italian recipes",
    "something action-packed but not too violent",
    "no romance please",
    "The Hunger Games",
    "A short, funny book for a long flight.",
    "Un roman policier qui se passe à Paris",
    "日本の推理小説",
    "🙂📚🚀",
    "",
]


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
        out[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(info["shape"])
    return out


def layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def encode(w, ids, heads=12, layers=6):
    ids = np.array(ids)
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][: len(ids)]
         + w["embeddings.token_type_embeddings.weight"][0]).astype(np.float64)
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    n, h = x.shape
    dh = h // heads
    for i in range(layers):
        p = f"encoder.layer.{i}."
        lin = lambda t, name: t @ w[p + name + ".weight"].T.astype(np.float64) + w[p + name + ".bias"]
        q = lin(x, "attention.self.query").reshape(n, heads, dh).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, dh).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, dh).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, h)
        x = layer_norm(x + lin(ctx, "attention.output.dense"),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        inter = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(inter, "output.dense"),
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = x.mean(0)  # one unpadded sentence: every token is real
    return pooled / np.linalg.norm(pooled)


def main():
    model_dir = sys.argv[1]
    w = load_safetensors(f"{model_dir}/model.safetensors")
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(256)
    out = {"model": "all-MiniLM-L6-v2", "source": "models/reference_minilm.py", "cases": []}
    for s in SENTENCES:
        ids = tok.encode(s).ids
        out["cases"].append({"text": s, "ids": ids, "embedding": [round(float(v), 7) for v in encode(w, ids)]})
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
