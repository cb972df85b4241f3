//! The deterministic mutation fuzzing of the parsers' cargo tests (each parser has a bounded
//! run in `cargo test` and an ignored long one, see c-tests/README.md): a dependency-free
//! generator, the loop over corpus and mutations, and the long run's settings from the
//! environment. Each parser brings its own corpus, mutator (biased towards what breaks it) and
//! entry point.

/// xorshift64*: the same sequence for the same seed, so a failing run repeats exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Feeds `one` every corpus entry, then `iterations` inputs made by `mutate` from random
/// entries (a quarter of them mutated twice).
pub fn run(
    corpus: &[Vec<u8>],
    seed: u64,
    iterations: u64,
    mutate: impl Fn(&mut Rng, &[u8]) -> Vec<u8>,
    one: impl Fn(&[u8]),
) {
    assert!(!corpus.is_empty(), "a fuzz run needs a corpus");
    for input in corpus {
        one(input);
    }
    let mut rng = Rng::new(seed);
    for _ in 0..iterations {
        let base = &corpus[rng.below(corpus.len())];
        let mut input = mutate(&mut rng, base);
        if rng.below(4) == 0 {
            input = mutate(&mut rng, &input);
        }
        one(&input);
    }
}

/// The seed and iteration count of a long run: `<prefix>_FUZZ_SEED` (default 1) and
/// `<prefix>_FUZZ_ITERATIONS` (default `iterations`).
pub fn long_run_settings(prefix: &str, iterations: u64) -> (u64, u64) {
    let env = |k: String, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    (env(format!("{prefix}_FUZZ_SEED"), 1), env(format!("{prefix}_FUZZ_ITERATIONS"), iterations))
}
