"""Benchmark suite: ``python -m benchmarks ops`` measures us side by side with PyTorch CPU."""
