"""Run inside a child whose ``PYTHONPATH`` is one source tree (this one, or the baseline
checkout of ``benchmarks/compare.py``) to measure that tree's bot warm: ``ask`` latency
and batched screening throughput, then its memory. Uses only the API every version of
the tree has (``Settings``, ``GuidanceBot.ask``, ``screen_many``, ``warm_up``), and
prints one JSON object.

``python -c "$(cat benchmarks/tree_probe.py)" DATA_DIR EVAL_DIR ASKS MESSAGES RUNS EMBEDDER``
(run this way, so that the tree on ``PYTHONPATH`` is the one imported).
"""

import json
import resource
import sys
import time
from pathlib import Path


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _median(values: list[float]) -> float:
    return _percentile(values, 50)


def probe(data_dir: Path, eval_dir: Path, asks: int, messages: int, runs: int, embedder: str) -> dict[str, object]:
    from bot.config import Settings
    from bot.service import GuidanceBot

    questions = [
        json.loads(line)["question"] for line in (eval_dir / "questions.jsonl").open(encoding="utf-8") if line.strip()
    ]
    texts = [json.loads(line)["text"] for line in (eval_dir / "messages.jsonl").open(encoding="utf-8") if line.strip()]
    bot = GuidanceBot(Settings(data_dir=data_dir, embedder=embedder))
    bot.warm_up(screening=True)
    for q in questions[:5]:
        bot.ask(q)
    p50s, p95s = [], []
    for _ in range(runs):
        samples = []
        for i in range(asks):
            start = time.perf_counter()
            bot.ask(questions[i % len(questions)])
            samples.append(time.perf_counter() - start)
        p50s.append(_percentile(samples, 50))
        p95s.append(_percentile(samples, 95))
    rates = []
    for r in range(runs):
        batch = [f"{texts[i % len(texts)]} [{r}.{i}]" for i in range(messages)]  # distinct: no repeats to share
        start = time.perf_counter()
        bot.screen_many(batch)
        rates.append(messages / (time.perf_counter() - start))
    with open("/proc/self/statm", encoding="ascii") as fh:
        import os

        resident = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return {
        "ask_p50_s": _median(p50s),
        "ask_p95_s": _median(p95s),
        "screen_per_s": _median(rates),
        "resident_bytes": resident,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "torch_loaded": "torch" in sys.modules,
        "onnxruntime_loaded": "onnxruntime" in sys.modules,
        "bot_file": sys.modules["bot"].__file__,
    }


if __name__ == "__main__" or __name__ == "builtins":
    args = sys.argv[1:]
    print(json.dumps(probe(Path(args[0]), Path(args[1]), int(args[2]), int(args[3]), int(args[4]), args[5])))
