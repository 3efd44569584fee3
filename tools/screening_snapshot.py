"""Screening's verdicts on every message set, for checking that a change to how screening
runs (not to what it decides) leaves every verdict as it was.

``python tools/screening_snapshot.py dump OUT.jsonl [DATA_DIR]`` screens, through
``GuidanceBot.screen_many`` with the shipped settings, the development messages
(``eval/messages.jsonl``), the held-out sets (``tests/data/messages_holdout*.jsonl``), the
blind sets already opened (``eval/blind/set_*/messages_*.jsonl``), the encoder's training
messages (``guidance_corpus/screening/training/*.jsonl``) and 400 generated messages with
patient identifiers (``tests/generated.py``), at the three sensitivities, and writes one
line per message and sensitivity: whether it is flagged, the category, the categories,
severity, reasons, citations, rule ids, the redacted excerpt and the finding spans.

``dump OUT.jsonl [DATA_DIR] --shuffle SEED`` screens each set in a shuffled order (the
lines keep the set's order): the int8 graph quantises activations per batch, so a verdict
near a threshold can depend on which messages share its batch, and a dump of the same
tree with another order measures that floor.

``python tools/screening_snapshot.py diff BEFORE.jsonl AFTER.jsonl`` compares two dumps:
it prints every message whose verdict (flagged, category, categories, severity, redacted
excerpt, finding spans) differs and exits 1 when any does; it counts differences in the
finer detail (reasons, citation ids and scores, the rule ids) without failing on them.

Run from the tree under test (``PYTHONPATH`` set to it), so the dump of a commit is made
by that commit's code. The output holds message text only as screening's own redacted
excerpt, but the sets are synthetic; keep the files out of the repository anyway.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENSITIVITIES = ("low", "normal", "high")


def message_sets() -> dict[str, list[str]]:
    """Every set's texts by a name relative to the repository."""
    paths = [ROOT / "eval" / "messages.jsonl"]
    paths += sorted((ROOT / "tests" / "data").glob("messages_holdout*.jsonl"))
    paths += sorted((ROOT / "eval" / "blind").glob("set_*/messages_*.jsonl"))
    paths += sorted((ROOT / "guidance_corpus" / "screening" / "training").glob("*.jsonl"))
    sets: dict[str, list[str]] = {}
    for path in paths:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets[str(path.relative_to(ROOT))] = [str(r["text"]) for r in rows]
    sys.path.insert(0, str(ROOT))
    from tests.generated import generate

    sets["tests/generated.py"] = [generate(seed).text for seed in range(400)]
    return sets


def dump(out: Path, data_dir: Path, shuffle: int | None = None) -> None:
    """Write the verdicts; with ``shuffle`` (a seed) each set is screened in a shuffled
    order (the lines keep the set's order): how much a verdict depends on the other
    messages in its batch, since the int8 graph quantises activations per batch."""
    import random

    from bot.config import Settings
    from bot.service import GuidanceBot

    bot = GuidanceBot(Settings(data_dir=data_dir))
    with out.open("w", encoding="utf-8") as fh:
        for name, texts in message_sets().items():
            order = list(range(len(texts)))
            if shuffle is not None:
                random.Random(shuffle).shuffle(order)
            for sensitivity in SENSITIVITIES:
                screened = bot.screen_many([texts[j] for j in order], sensitivity)
                position = {j: k for k, j in enumerate(order)}
                results = [screened[position[i]] for i in range(len(texts))]
                for i, result in enumerate(results):
                    line = {"set": name, "i": i, "sensitivity": sensitivity, **result.to_json()}
                    line["rule_ids"] = list(result.flag.rule_ids) if result.flag else []
                    fh.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")


VERDICT = ("flagged", "category", "categories", "severity", "redacted", "findings")


def _verdict(line: dict[str, object]) -> dict[str, object]:
    return {k: line[k] for k in VERDICT}


def diff(before: Path, after: Path) -> int:
    """Compare two dumps: the verdict (flagged, category, categories, severity, redacted
    excerpt, finding spans) must be identical; differences in the finer detail (reasons,
    citations and their scores, the set of rule ids) are counted and shown, not failed."""
    a = [json.loads(x) for x in before.read_text(encoding="utf-8").splitlines()]
    b = [json.loads(x) for x in after.read_text(encoding="utf-8").splitlines()]
    if len(a) != len(b):
        print(f"line counts differ: {len(a)} against {len(b)}")
        return 1
    verdicts = 0
    detail: dict[str, int] = {}
    for x, y in zip(a, b, strict=True):
        if _verdict(x) != _verdict(y):
            verdicts += 1
            if verdicts <= 20:
                print(f"{x['set']} #{x['i']} ({x['sensitivity']}):")
                print("  -", json.dumps(_verdict(x), ensure_ascii=False))
                print("  +", json.dumps(_verdict(y), ensure_ascii=False))
        for key, old, new in (
            ("reasons", sorted(x["reasons"]), sorted(y["reasons"])),
            ("citation ids", sorted(c["id"] for c in x["citations"]), sorted(c["id"] for c in y["citations"])),
            ("citation scores", [c["score"] for c in x["citations"]], [c["score"] for c in y["citations"]]),
            ("rule ids (as a set)", sorted(x["rule_ids"]), sorted(y["rule_ids"])),
        ):
            if old != new:
                detail[key] = detail.get(key, 0) + 1
    print(f"{len(a)} verdicts compared, {verdicts} differ")
    for key, count in detail.items():
        print(f"  {key}: {count} differ")
    return 1 if verdicts else 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "dump":
        shuffle = None
        if "--shuffle" in argv:
            at = argv.index("--shuffle")
            shuffle = int(argv[at + 1])
            argv = argv[:at] + argv[at + 2 :]
        data_dir = Path(argv[2]) if len(argv) > 2 else Path(tempfile.mkdtemp(prefix="gmcbot-snapshot-"))
        dump(Path(argv[1]), data_dir, shuffle)
        return 0
    if len(argv) == 3 and argv[0] == "diff":
        return diff(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
