"""A duplicated platform event is handled once, whichever process or thread sees it."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from bot.store import SqlRecords

EVENT_IDS = [f"Ev{i:03d}" for i in range(60)]


def test_two_engines_many_threads_claim_each_event_once(open_store: Callable[..., SqlRecords]) -> None:
    stores = [open_store(), open_store()]
    threads_per_store = 4
    barrier = threading.Barrier(len(stores) * threads_per_store)
    wins: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def claim_all(store: SqlRecords, order: list[str]) -> None:
        barrier.wait()
        try:
            for event_id in order:
                if store.claim_event("slack", event_id):
                    with lock:
                        wins[event_id] += 1
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = []
    for s_index, store in enumerate(stores):
        for t_index in range(threads_per_store):
            order = EVENT_IDS[::-1] if (s_index + t_index) % 2 else list(EVENT_IDS)
            threads.append(threading.Thread(target=claim_all, args=(store, order)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert wins == Counter({e: 1 for e in EVENT_IDS})
    assert all(s.pending == 0 for s in stores)


CLAIM_SCRIPT = """
import sys
from pathlib import Path
from bot.config import Settings
from bot.store import open_records
records = open_records(Settings(data_dir=Path(sys.argv[2]), database_url=sys.argv[1], embedder="hashing"))
records.claim_event("warm-up", "x")
print("ready", flush=True)
sys.stdin.readline()  # wait until both processes are ready, then race
won = [e for e in sys.argv[3:] if records.claim_event("slack", e)]
records.close()
print(" ".join(won))
"""


def test_two_processes_claim_each_event_once(
    db_settings: Settings, open_store: Callable[..., SqlRecords], tmp_path: Path
) -> None:
    open_store()  # migrate first, so both processes race on the claims only
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, db_settings.database_url, str(db_settings.data_dir), *order],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in (EVENT_IDS, EVENT_IDS[::-1])
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr and p.stderr.read()[-600:]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-600:] for _, err in outputs]
    wins = Counter(e for out, _ in outputs for e in out.split())
    assert wins == Counter({e: 1 for e in EVENT_IDS})
