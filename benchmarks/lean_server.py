"""A lean OpenAI-compatible chat-completions server for the throughput benchmarks (issue #15).

The tests' scripted server (tests/extract/backends/llm/llm_server.py) works out each answer while the
client waits: it parses HTTP with http.server, finds the article by searching every seed for the
request's text, folds the text to check the gold quotes and builds the JSON, about 20 ms of CPU a
request. On a 2-core machine that CPU competes with the client being measured. This server answers
the same facts (the seeds' hand labels whose every quote stands in the text, `gold_responder`) but
works them out before the timing starts:

- every seed article is loaded with the product's own loader and its answer text computed once,
  keyed by a hash of the article text as the request carries it (after "Article text:\\n");
- HTTP/1.1 with keep-alive on asyncio streams, parsed by hand: request line, headers up to the
  blank line, Content-Length, body; one JSON parse of the body to read the messages;
- each answer is made as the request arrives and sent `DELAY` seconds after it arrived, so a wave of
  answers all due at once is not sent one answer-making apart;
- a request it has no precomputed answer for (a follow-up note, an unknown text) is answered by the
  scripted server's own functions (`as_asked`, `gold_responder`), so it is never wrong, only slower.

It is a real HTTP server on 127.0.0.1; the real openai client and instructor talk to it. It counts the
requests and how many were in flight at once, and reports its own CPU time.

Run as a child process: `python benchmarks/lean_server.py DELAY [FOLDER ...]` (the articles of each FOLDER,
copies of seeds, precomputed too) prints the URL, serves until its stdin closes, then prints one JSON line with
its figures.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "extract" / "backends" / "llm"))

from llm_helpers import GOLD_IDS, SEEDS, gold_responder  # noqa: E402
from llm_server import answer_choice, as_asked  # noqa: E402

from extract.articles import ArticleSource, load  # noqa: E402

MARK = "Article text:\n"


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _body_for(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": MARK + text}]}


def precompute(folders: list[Path] | None = None) -> dict[str, dict[str, Any]]:
    """text key -> the gold answer payload of each seed article, and of each article in `folders` (copies of seeds,
    benchmarks/client_cpu.py), as gold_responder gives it for the whole text."""
    answers = {}
    paths = [SEEDS / f"{article_id}.txt" for article_id in GOLD_IDS]
    paths += [path for folder in folders or [] for path in sorted(folder.glob("*.txt"))]
    for path in paths:
        article = load(ArticleSource(id=path.stem, path=path))
        answers[text_key(article.text)] = gold_responder(_body_for(article.text))
    return answers


class LeanServer:
    def __init__(self, delay: float, answers: dict[str, dict[str, Any]]) -> None:
        self.delay = delay
        self.answers = answers
        self.texts = {key: json.dumps(payload) for key, payload in answers.items()}
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.slow_path = 0

    def _payload_text(self, body: dict[str, Any]) -> str:
        users = [m.get("content") for m in body.get("messages", []) if m.get("role") == "user"]
        first = users[0] if users and isinstance(users[0], str) else ""
        text = first.split(MARK, 1)[1] if MARK in first else ""
        key = text_key(text)
        if len(users) == 1 and key in self.texts:
            return self.texts[key]
        self.slow_path += 1  # a follow-up or an unknown text: answered as the scripted server would
        payload = self.answers.get(key)
        return json.dumps(as_asked(body, payload if payload is not None else gold_responder(body)))

    def _response(self, body: dict[str, Any], raw_len: int) -> bytes:
        text = self._payload_text(body)
        prompt, completion = raw_len // 4, len(text) // 4 + 1
        return json.dumps({
            "id": f"chatcmpl-{self.requests}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "lean"), "choices": [answer_choice(body, text, "stop")],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }).encode()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else ""
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                raw = await reader.readexactly(length) if length else b""
                arrived = time.monotonic()
                self.requests += 1
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    # The answer is made first and sent `delay` after the request arrived: a wave of 16 answers
                    # made after the wait would go out up to 16 x ~1 ms late, a lag of this server's, not the client's.
                    if path.endswith("/chat/completions"):
                        code, data = "200 OK", self._response(json.loads(raw or b"{}"), len(raw))
                    else:
                        code, data = "404 Not Found", json.dumps({"error": {"message": f"no route {path}"}}).encode()
                    if self.delay:
                        await asyncio.sleep(max(0.0, arrived + self.delay - time.monotonic()))
                finally:
                    self.in_flight -= 1
                writer.write(f"HTTP/1.1 {code}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                             "\r\n".encode() + data)
                await writer.drain()
        except ConnectionError:
            return
        finally:
            writer.close()


async def _serve(server: LeanServer, stop: asyncio.Event) -> None:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    async with listener:
        await stop.wait()


def main() -> None:
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    server = LeanServer(delay, precompute([Path(folder) for folder in sys.argv[2:]]))
    started = resource.getrusage(resource.RUSAGE_SELF)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def wait_for_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_stdin, daemon=True).start()
    loop.run_until_complete(_serve(server, stop))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime + usage.ru_stime) - (started.ru_utime + started.ru_stime)
    print(json.dumps({"requests": server.requests, "max_in_flight": server.max_in_flight, "server_cpu": cpu,
                      "slow_path": server.slow_path}), flush=True)


if __name__ == "__main__":
    main()
