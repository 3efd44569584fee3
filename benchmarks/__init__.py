"""gmcbot's benchmark suite: ``python -m benchmarks`` (``make bench``) measures retrieval
and screening quality, speed, memory, scale (exact against approximate search) and
faster embedding (ONNX Runtime, int8), prints the tables and writes
``docs/benchmarks.md`` with PNG plots in ``docs/benchmarks/``. ``--smoke`` runs every
section at tiny sizes for CI. See benchmarks/README.md."""
