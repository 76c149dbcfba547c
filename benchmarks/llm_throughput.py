"""LLM client throughput: efficiency at concurrency 1/4/16/32 against a local server with a fixed delay,
and our own time per request at zero delay (issue #15).

64 seed-sized articles (the seeds, copied under new ids) go through the real pipeline, the real
openai client and instructor, one request each, against the scripted server of the tests, which
answers the seeds' hand-labelled facts after `delay` seconds. Efficiency = ideal time
(articles x delay / concurrency) / measured time. Run: .venv/bin/python benchmarks/llm_throughput.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "extract" / "backends" / "llm"))

from llm_helpers import FAST, GOLD_IDS, SEEDS, gold_responder  # noqa: E402
from llm_server import FakeLLM, Fault, start  # noqa: E402

from extract.articles import discover  # noqa: E402
from extract.backends.llm.backend import LLMBackend  # noqa: E402
from extract.backends.llm.settings import LLMSettings  # noqa: E402
from extract.pipeline import RunOptions, run  # noqa: E402

ARTICLES = 64


def corpus(folder: Path) -> None:
    for n in range(ARTICLES):
        article_id = GOLD_IDS[n % len(GOLD_IDS)]
        shutil.copy(SEEDS / f"{article_id}.txt", folder / f"c{n:03d}_{article_id}.txt")


def measure(delay: float, concurrency: int, folder: Path) -> tuple[float, int]:
    fake = FakeLLM(gold_responder)
    if delay:
        fake.fail_always("*", Fault("slow", delay=delay))
    server, thread = start(fake)
    try:
        settings = LLMSettings(base_url=fake.url, concurrency=concurrency, chunk_tokens=100_000,
                               **{**FAST, "timeout": 30.0})
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            run(list(discover([str(folder)])), LLMBackend(settings), RunOptions(out_dir=Path(out), cache=False))
            return time.perf_counter() - started, len(fake.records)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus(folder)
        elapsed, requests = measure(0.0, 16, folder)
        print(f"zero delay, concurrency 16: {requests} requests in {elapsed:.2f} s = "
              f"{1000 * elapsed / max(requests, 1):.1f} ms a request, run overhead included (limit 10 ms)")
        for concurrency in (1, 4, 16, 32):
            delay = 0.25
            elapsed, requests = measure(delay, concurrency, folder)
            ideal = requests * delay / concurrency
            print(f"delay {delay} s, concurrency {concurrency:2d}: {requests} requests in {elapsed:.2f} s, "
                  f"ideal {ideal:.2f} s, efficiency {ideal / elapsed:.2f}" + (" (limit 0.8)" if concurrency == 16 else ""))


if __name__ == "__main__":
    main()
