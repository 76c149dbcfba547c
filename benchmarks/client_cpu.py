"""Our CPU per LLM request, with the server in a process of its own (issue #15).

benchmarks/llm_throughput.py runs the tests' scripted server in a thread of the measured
process, so the server's own work (HTTP parsing, finding the article by its text, folding
it to check the gold quotes, JSON) is counted as ours and holds the GIL against the client.
Here the server is a child process: the client's figure is the CPU time of the run's
process alone (`time.process_time`, all its threads), and the server's CPU is printed apart.
By default the server is benchmarks/lean_server.py (the same answers, worked out before the
timing starts, ~1 ms of CPU a request), so that on a 2-core machine it hardly competes with
the client; `--server scripted` uses the tests' server (~20 ms a request) instead.

- per request: CPU of a 64-article run minus that of an 8-article run, over the extra
  requests, so the run's fixed costs (imports, store, corpus files) are left out;
- efficiency at concurrency 1/4/16/32 with a 0.25 s server delay: ideal time (requests x delay / concurrency)
  over the extraction time (from the run's start to the last article's result, as issue #15 defines it), and
  over the whole run (the corpus files written after it included); with the most requests the server had in
  flight at once;
- the same at zero delay and at concurrency 16 with `--workers 2` (two forked processes sharing the
  concurrency, docs/llm.md "Worker processes"): wall time a request, and CPU of every process of ours;
- `--profile`: where the client's time goes at zero delay, by package and by function.

Usage: .venv/bin/python benchmarks/client_cpu.py [--profile] [--articles 64] [--server lean|scripted]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LLM_TESTS = ROOT / "tests" / "extract" / "backends" / "llm"
sys.path.insert(0, str(LLM_TESTS))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import load_note  # noqa: E402

# Where a profiled function lives, for the summary by package (first match wins).
PACKAGES = (("extract/backends/llm", "extract/backends/llm (llm developer)"), ("instructor", "instructor"),
            ("openai", "openai"), ("httpx", "httpx / httpcore"), ("httpcore", "httpx / httpcore"),
            ("pydantic", "pydantic"), ("schemas/", "schemas (validators)"),
            ("extract/canonical", "extract/canonical (rules developer)"),
            ("extract/grounding", "extract/grounding, align, figures"), ("extract/align", "extract/grounding, align, figures"),
            ("extract/figures", "extract/grounding, align, figures"), ("extract/store", "extract/store"),
            ("extract/corpus", "corpus files (once per run)"), ("extract/tables", "corpus files (once per run)"),
            ("extract/entities", "corpus files (once per run)"), ("extract/output", "extract/output (sheet files)"),
            ("extract/", "extract (pipeline, articles, ...)"), ("asyncio", "asyncio"), ("json", "json"),
            ("sqlite", "sqlite3"))


def serve(delay: float) -> None:
    """The server process: print the URL, serve until stdin closes, then print what it did."""
    from llm_helpers import gold_responder
    from llm_server import FakeLLM, Fault, start

    fake = FakeLLM(gold_responder)
    if delay:
        fake.fail_always("*", Fault("slow", delay=delay))
    server, _thread = start(fake)
    print(fake.url, flush=True)
    sys.stdin.read()
    server.shutdown()
    server.server_close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"requests": len(fake.records), "max_in_flight": fake.max_in_flight,
                      "server_cpu": usage.ru_utime + usage.ru_stime}), flush=True)


SERVER = {"lean": [str(Path(__file__).resolve().parent / "lean_server.py")], "scripted": [__file__, "--serve"]}


@contextlib.contextmanager
def server_process(delay: float, kind: str, folder: Path | None = None) -> Iterator[tuple[str, dict[str, float]]]:
    extra = [str(folder)] if kind == "lean" and folder is not None else []  # the lean server precomputes them
    proc = subprocess.Popen([sys.executable, *SERVER[kind], str(delay), *extra], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdin is not None
    stats: dict[str, float] = {}
    try:
        yield proc.stdout.readline().strip(), stats
    finally:
        out, _ = proc.communicate("", timeout=30)
        stats.update(json.loads(out.strip().splitlines()[-1]))


def corpus(folder: Path, n: int) -> None:
    """n articles, copies of the seeds in turn, each made distinct by a last line of its own: no cache of texts
    (folded articles, their words) serves one article from another's work, as none would in a real corpus."""
    from llm_helpers import GOLD_IDS, SEEDS

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        article_id = GOLD_IDS[i % len(GOLD_IDS)]
        text = (SEEDS / f"{article_id}.txt").read_text(encoding="utf-8").rstrip("\n")
        (folder / f"c{i:03d}_{article_id}.txt").write_text(f"{text}\n\nCopy {i} of this report.\n", encoding="utf-8")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(delay: float, concurrency: int, folder: Path, kind: str, profile: cProfile.Profile | None = None,
            workers: int = 1) -> dict[str, float]:
    """One run against a fresh server process: wall and CPU seconds of ours (with `workers` > 1, the forked
    workers' CPU included: they end within the run, the server after it), and the server's figures."""
    from llm_helpers import FAST

    from extract.align import clear_fold_cache
    from extract.articles import discover
    from extract.backends.llm.backend import LLMBackend
    from extract.backends.llm.settings import LLMSettings
    from extract.pipeline import RunOptions, run

    with server_process(delay, kind, folder) as (url, server), tempfile.TemporaryDirectory() as out:
        settings = LLMSettings(base_url=url, concurrency=concurrency, chunk_tokens=100_000,
                               **{**FAST, "timeout": 30.0})
        sources = list(discover([str(folder)]))
        clear_fold_cache()  # every run folds its articles itself, as a new process would
        # When the last article's result came, and our CPU by then: extraction done, before the corpus files.
        last = [0.0, 0.0]

        def on_result(_result: object) -> None:
            last[0], last[1] = time.perf_counter(), time.process_time()

        children_started = _children_cpu()
        cpu_started, started = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        run(sources, LLMBackend(settings), RunOptions(out_dir=Path(out), cache=False, workers=workers),
            on_result=on_result)
        if profile is not None:
            profile.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        workers_cpu = _children_cpu() - children_started
    return {"wall": wall, "extraction": last[0] - started, "cpu": cpu + workers_cpu,
            "extraction_cpu": last[1] - cpu_started, "workers_cpu": workers_cpu, **server}


def _package(filename: str) -> str | None:
    return next((label for key, label in PACKAGES if key in filename), None)


def by_package(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Own time per package; time in builtins and the standard library is charged to the packages
    that called it (in proportion to the calls' time), going up the callers until one is found."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    shares: dict[tuple[str, int, str], dict[str, float]] = {}

    def share(func: tuple[str, int, str], depth: int = 0) -> dict[str, float]:
        known = shares.get(func)
        if known is not None:
            return known
        own = _package(func[0])
        if own is not None:
            result = {own: 1.0}
        else:
            shares[func] = {"standard library, builtins": 1.0}  # a cycle or too deep: left as it is
            callers = stats.get(func, (0, 0, 0.0, 0.0, {}))[4]
            total = sum(c[2] for c in callers.values())
            result = {}
            if depth < 20 and total > 0:
                for caller, c in callers.items():
                    for name, part in share(caller, depth + 1).items():
                        result[name] = result.get(name, 0.0) + part * c[2] / total
            if not result:
                result = {"standard library, builtins": 1.0}
        shares[func] = result
        return result

    totals: dict[str, float] = {}
    for func, (_, _, tottime, _, _) in stats.items():
        for name, part in share(func).items():
            totals[name] = totals.get(name, 0.0) + tottime * part
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--articles", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="profile the client at zero delay, concurrency 16")
    parser.add_argument("--server", choices=sorted(SERVER), default="lean",
                        help="lean (benchmarks/lean_server.py, answers precomputed; the default) or the tests' scripted server")
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp:
        few, many = Path(tmp) / "few", Path(tmp) / "many"
        corpus(few, 8)
        corpus(many, args.articles)
        kind = args.server
        measure(0.0, 16, few, kind)  # warm-up: imports and first-use costs are not per request
        small, large = measure(0.0, 16, few, kind), measure(0.0, 16, many, kind)
        extra = large["requests"] - small["requests"]
        per_answer = (large["extraction_cpu"] - small["extraction_cpu"]) / max(extra, 1)
        print(f"{kind} server in its own process, zero delay, concurrency 16: {large['requests']:.0f} requests, "
              f"wall {large['wall']:.2f} s, our CPU {large['cpu']:.2f} s; server process {large['server_cpu']:.2f} s, "
              f"{1000 * large['server_cpu'] / max(large['requests'], 1):.1f} ms a request")
        print(f"our CPU per request: {1000 * (large['cpu'] - small['cpu']) / max(extra, 1):.1f} ms "
              f"(runs of {large['requests']:.0f} and {small['requests']:.0f} requests, fixed costs left out; "
              f"limit 10 ms); with them: {1000 * large['cpu'] / large['requests']:.1f} ms; of it until the last "
              f"article's result (the corpus files left out): "
              f"{1000 * per_answer:.1f} ms")
        one, two = measure(0.0, 16, many, kind), measure(0.0, 16, many, kind, workers=2)
        print(f"zero delay, concurrency 16, until the last result: {1000 * one['extraction'] / one['requests']:.1f} ms "
              f"a request with one process, {1000 * two['extraction'] / two['requests']:.1f} ms with --workers 2 "
              f"({one['extraction'] / two['extraction']:.2f}x); CPU of every process of ours: "
              f"{1000 * one['cpu'] / one['requests']:.1f} / {1000 * two['cpu'] / two['requests']:.1f} ms a request "
              "(whole runs, fixed costs included)")
        for concurrency in (1, 4, 16, 32):
            delay = 0.25
            got = measure(delay, concurrency, many, kind)
            ideal = got["requests"] * delay / concurrency
            print(f"delay {delay} s, concurrency {concurrency:2d}: {got['requests']:.0f} requests, extraction "
                  f"{got['extraction']:.2f} s (whole run {got['wall']:.2f} s), ideal {ideal:.2f} s, efficiency "
                  f"{ideal / got['extraction']:.2f} (whole run {ideal / got['wall']:.2f}), at most {got['max_in_flight']:.0f} "
                  f"in flight at the server, server CPU {1000 * got['server_cpu'] / max(got['requests'], 1):.1f} ms a "
                  "request" + (" (limit 0.8)" if concurrency == 16 else ""), flush=True)
            if concurrency == 16:  # one run moves by +-0.03 on these VMs: the limit is judged on the median of 5
                # One process and --workers 2 (docs/llm.md, "Worker processes") in turn, so both meet the same VM.
                runs, two = [ideal / got["extraction"]], []
                for i in range(5):
                    if i:
                        runs.append(ideal / measure(delay, concurrency, many, kind)["extraction"])
                    two.append(ideal / measure(delay, concurrency, many, kind, workers=2)["extraction"])
                runs.sort()
                two.sort()
                print(f"    5 runs: {' '.join(f'{e:.2f}' for e in runs)}, median {runs[2]:.2f} (limit 0.8)")
                print(f"    --workers 2, 5 runs: {' '.join(f'{e:.2f}' for e in two)}, median {two[2]:.2f} (limit 0.8)")
            # One process checks the answers: the last `concurrency` of them arrive no earlier than the rounds of
            # delay and need `concurrency` checks of CPU after that (docs/llm.md), start-up left out.
            bound = ideal / (ideal + concurrency * per_answer)
            print(f"    one core allows at most {bound:.2f} with {1000 * per_answer:.1f} ms of CPU an answer until "
                  f"its result (zero delay above): measured {ideal / got['extraction'] / bound:.0%} of it")
        if args.profile:
            profile = cProfile.Profile()
            got = measure(0.0, 16, many, kind, profile)
            print(f"\nprofile, zero delay, concurrency 16, {got['requests']:.0f} requests "
                  f"(tottime per package, ms a request):")
            for name, seconds in by_package(profile):
                print(f"  {name:48s} {1000 * seconds / got['requests']:6.2f}")
            print()
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    print(load_note())


if __name__ == "__main__":
    main()
