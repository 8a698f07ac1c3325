//! The phrasing model natively, the same measurements as
//! benchmarks/browser/llm.mjs: load, time to the first text of a phrasing
//! prompt (cold, and warm with the shared prefix cached), decoding speed;
//! for the shipped Q4_1 file and the Q8_0 / Q4_0 conversions.
//!
//!     cargo bench --bench llm     # needs `kith model fetch --llm`, `kith model convert --llm`
//!                                 # (and --quant q4_0 --out models/SmolLM2-135M-Instruct.q4.gguf)

use std::time::Instant;

use kith::core::llm::Llm;

fn example(u: &str, a: &str) -> String {
    format!("<|im_start|>user\n{u}<|im_end|>\n<|im_start|>assistant\n{a}<|im_end|>\n")
}

fn prompt(book: &str) -> String {
    format!(
        "<|im_start|>system\nYou are a friendly bookseller. Say the given reason to a customer in one short, warm sentence. Keep every title exactly. Add nothing new.<|im_end|>\n{}{}<|im_start|>user\nBook: {book}. Reason: Readers who liked Dune also liked {book}.<|im_end|>\n<|im_start|>assistant\n",
        example("Book: Gone Girl. Reason: Readers who liked The Girl on the Train also liked Gone Girl.", "If The Girl on the Train hooked you, Gone Girl should too."),
        example("Book: Matilda. Reason: Readers who liked The BFG also liked Matilda.", "Lots of people who loved The BFG went on to love Matilda."),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    for path in [
        "models/SmolLM2-135M-Instruct.q8.gguf",
        "models/SmolLM2-135M-Instruct.q4.gguf",
        "models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
    ] {
        let Ok(bytes) = std::fs::read(path) else {
            println!("{path}: missing, skipped");
            continue;
        };
        let t = Instant::now();
        let mut llm = Llm::from_gguf_bytes(&bytes).expect("loads");
        let load = t.elapsed().as_secs_f64() * 1e3;
        let mut firsts = Vec::new();
        let mut rates = Vec::new();
        let mut cold = 0.0;
        for i in 0..7 {
            let book = if i % 2 == 0 {
                "Life of Pi"
            } else {
                "The Hobbit"
            };
            let t = Instant::now();
            let mut first = None;
            let g = llm
                .generate(&prompt(book), 24, &mut |_| {
                    first.get_or_insert(t.elapsed().as_secs_f64());
                    true
                })
                .expect("generates");
            let total = t.elapsed().as_secs_f64();
            let first = first.unwrap_or(total);
            if i == 0 {
                cold = first * 1e3;
            } else {
                firsts.push(first * 1e3);
                rates.push((g.tokens.saturating_sub(1)) as f64 / (total - first).max(1e-9));
            }
        }
        println!(
            "{path}: {:.1} MB, load {load:.0} ms; first text cold {cold:.0} ms, warm {:.0} ms; decoding {:.1} tokens/s",
            bytes.len() as f64 / 1e6,
            median(firsts),
            median(rates)
        );
    }
}
