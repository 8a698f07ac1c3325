#!/usr/bin/env python3
"""Independent reference for Kith's SmolLM2 decoder and tokenizer.

llama.cpp (through the `llama-cpp-python` package: its own GGUF reader,
tokenizer and kernels, nothing shared with candle or the tokenizers crate)
gives the token ids of fixed strings and, for fixed prompts, the greedy
continuation and the top logits of the first step. Run on the Q4_1 file as
shipped and on Kith's Q8_0 conversion (which also checks llama.cpp reads
what `kith model convert --llm` writes). Writes tests/fixtures/smollm2_reference.json.

    pip install llama-cpp-python          # builds llama.cpp (a few minutes)
    target/release/kith model fetch --llm && target/release/kith model convert --llm
    python3 models/reference_smollm2.py models > tests/fixtures/smollm2_reference.json
"""
import json
import os
import sys

from llama_cpp import Llama

STRINGS = [
    "Hello world!",
    "I loved Dune for its world-building and political intrigue",
    "Numbers: 2024, 3.14 and 1,000,000",
    "  leading spaces and\ttabs\nnew lines",
    "Émile Zola — « Germinal », naïve café",
    "日本語のテキスト",
    "emoji 😀👍",
    "<|im_start|>user\nHi<|im_end|>",
    "don't won't it's THEY'RE",
    "",
]

SYSTEM = "You are a friendly book lover."
PROMPTS = [
    f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nRewrite warmly: Next in the Dune Chronicles series, after Dune, which you liked.<|im_end|>\n<|im_start|>assistant\n",
    "The best book I read this year was",
]
STEPS = 16


def run(path):
    # f32 KV cache, as Kith keeps it (llama.cpp defaults to f16, which alone
    # moves logits by about 0.5).
    llm = Llama(model_path=path, n_ctx=512, n_threads=2, logits_all=True, verbose=False, seed=0,
                type_k=0, type_v=0)
    tokens = {s: llm.tokenize(s.encode("utf-8"), add_bos=False, special=True) for s in STRINGS}
    greedy = []
    for p in PROMPTS:
        ids = llm.tokenize(p.encode("utf-8"), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        first = list(llm.scores[llm.n_tokens - 1])
        top = sorted(range(len(first)), key=lambda i: -first[i])[:5]
        out = []
        for _ in range(STEPS):
            logits = llm.scores[llm.n_tokens - 1]
            nxt = int(max(range(len(logits)), key=lambda i: logits[i]))
            out.append(nxt)
            if nxt in (0, 2):
                break
            llm.eval([nxt])
        greedy.append({"prompt": p, "prompt_ids": ids, "next": out,
                       "top5": [[i, float(first[i])] for i in top]})
    return {"tokens": [{"text": s, "ids": tokens[s]} for s in STRINGS], "greedy": greedy}


def main():
    models = sys.argv[1] if len(sys.argv) > 1 else "models"
    out = {
        "generator": "llama-cpp-python 0.3.36 (llama.cpp), greedy, n_ctx 512, f32 KV cache",
        "q4_1": run(os.path.join(models, "SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")),
        "q8_0": run(os.path.join(models, "SmolLM2-135M-Instruct.q8.gguf")),
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
