//! Benchmark driver (being written).
fn main() {}
