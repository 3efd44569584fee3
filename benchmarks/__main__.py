"""``python -m benchmarks [--smoke] [--runs N] [--out DIR] [--only a,b]``: run the
sections, print each table as it is measured, then write the report.

Exit status 0 when every section ran, 1 when one failed (the others still run and
the report lists the failure), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.common import FULL, ROOT, SMOKE, Context, Section, machine_info

SECTION_NAMES = ("compare", "retrieval", "screening", "speed", "memory", "scale", "embedding", "load", "ocr")


def _sections() -> dict[str, Callable[[Context], Section]]:
    from benchmarks import compare, embedding, load, memory, ocr, retrieval, scale, screening, speed

    return {
        "compare": compare.run,
        "retrieval": retrieval.run,
        "screening": screening.run,
        "speed": speed.run,
        "memory": memory.run,
        "scale": scale.run,
        "embedding": embedding.run,
        "load": load.run,
        "ocr": ocr.run,
    }


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run: checks the code, not the speed")
    parser.add_argument("--runs", type=int, help="repetitions behind each median (default 3; 1 with --smoke)")
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for benchmarks.md and its plots (default docs/ for a full run of every "
        "section, else a temporary folder)",
    )
    parser.add_argument("--only", help=f"comma-separated sections to run, from {', '.join(SECTION_NAMES)}")
    args = parser.parse_args(argv)
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in SECTION_NAMES]
        if unknown:
            parser.error(f"unknown section(s): {', '.join(unknown)}")
        args.only = wanted
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    chosen = args.only or list(SECTION_NAMES)
    runners = _sections()
    info_start = machine_info()
    with tempfile.TemporaryDirectory(prefix="gmcbot-bench-") as tmp:
        default_out = ROOT / "docs" if not args.smoke and not args.only else Path(tmp) / "report"
        ctx = Context(
            smoke=args.smoke,
            runs=args.runs or (1 if args.smoke else 3),
            out_dir=args.out or default_out,
            work_dir=Path(tmp),
            sizes=SMOKE if args.smoke else FULL,
            embedder_name="hashing" if args.smoke else "minilm",
        )
        done: list[Section] = []
        failures: dict[str, str] = {}
        for name in chosen:
            start = time.perf_counter()
            print(f"== {name} ...", flush=True)
            try:
                section = runners[name](ctx)
            except Exception as exc:  # noqa: BLE001 - one failed section must not lose the others
                traceback.print_exc()
                failures[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                continue
            done.append(section)
            print(f"== {section.title} ({time.perf_counter() - start:.0f} s)\n")
            for table in section.tables:
                print(table.text() + "\n")
            for note in section.notes:
                print(note + "\n")
            sys.stdout.flush()
        from benchmarks import report

        path = report.write(ctx, done, info_start, machine_info(), failures)
        print("Headlines:")
        for section in done:
            for item in section.summary:
                print(f"- {item}")
        print(f"\nReport: {path}" + (" (temporary, removed on exit)" if path.is_relative_to(tmp) else ""))
        if failures:
            print(f"Failed sections: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
