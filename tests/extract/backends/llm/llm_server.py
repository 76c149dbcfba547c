"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for the LLM tests.

Answers come from a responder (request -> answer payload dict) and are shaped for the
mode the request implies (tools, response_format, or a fenced Markdown block). Faults
are scripted per article id and consumed one per request, in order; '*' scripts apply to
any article. The product prompt names no article id, so the server knows an article by its
text: `ARTICLES` (id -> text) is filled by the tests with the articles they send.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Payload = dict[str, Any]
Responder = Callable[[dict[str, Any]], Payload]

ARTICLES: dict[str, str] = {}


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour: status, slow, drop, invalid_json, truncated, hallucinate, no_usage."""

    kind: str
    status: int = 500
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


OK = Fault("ok")


def status(code: int, **headers: str) -> Fault:
    return Fault("status", status=code, headers={k.replace("_", "-"): v for k, v in headers.items()})


@dataclass
class Record:
    """One request as the server saw it, with what it answered."""

    body: dict[str, Any]
    article_id: str | None
    fault: str
    at: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    answer_chars: int = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    def text(self) -> str:
        return "\n".join(str(m.get("content") or "") for m in self.messages)


def article_id_of(body: dict[str, Any]) -> str | None:
    """The id of the known article whose text holds the request's chunk."""
    chunk = chunk_text_of(body).strip()
    if not chunk:
        return None
    head = chunk[:300]  # instructor may append its own words to the user message (MD_JSON)
    return next((article_id for article_id, text in ARTICLES.items() if head in text), None)


def chunk_text_of(body: dict[str, Any]) -> str:
    """The article text of the request's first user message."""
    for message in body.get("messages", []):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and "Article text:\n" in content:
            return content.split("Article text:\n", 1)[1]
    return ""


_REJECTED_LINE = re.compile(r"^- (metrics|infrastructure_projects|policy_statements) (\{.*\})$", re.MULTILINE)
_RECORDED_LINE = re.compile(r"^= (metrics|infrastructure_projects|policy_statements) (\{.*\})$", re.MULTILINE)
_IDENTITY = {"metrics": "subject", "infrastructure_projects": "name", "policy_statements": "summary"}


def follow_up(body: dict[str, Any]) -> str:
    """The backend's follow-up note (reask.py), if the request has one after the article."""
    users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user" and isinstance(m.get("content"), str)]
    if not users:
        return ""
    # After the article: in later user messages, or (a server that merges messages) after the article text.
    first = users[0].split("Article text:\n", 1)[-1] if len(users) == 1 else ""
    return "\n".join([first, *users[1:]])


def as_asked(body: dict[str, Any], payload: Payload) -> Payload:
    """What a model that follows the follow-up note answers: only the rejected facts asked about (matched by
    subject, name or summary), or only the facts not recorded from a cut-off answer; else the whole payload."""
    note = follow_up(body)
    rejected = [(name, json.loads(raw)) for name, raw in _REJECTED_LINE.findall(note)]
    recorded = [(name, json.loads(raw)) for name, raw in _RECORDED_LINE.findall(note)]
    if not rejected and not recorded:
        return payload
    out: Payload = {}
    for name, facts in payload.items():
        key = _IDENTITY[name]
        wanted = {str(fact.get(key)) for n, fact in rejected if n == name and isinstance(fact, dict)}
        done = [fact for n, fact in recorded if n == name]
        out[name] = [f for f in facts if str(f.get(key)) in wanted or (recorded and not any(
            d.get(key) == str(f.get(key)) and f["evidence"][0]["quote"].startswith(d["quote"][:40]) for d in done))]
    return out


def hallucinate(payload: Payload) -> Payload:
    """The payload with its first quote altered so that it is no longer in the article."""
    altered = json.loads(json.dumps(payload))
    for name in ("metrics", "infrastructure_projects", "policy_statements"):
        for fact in altered.get(name, []):
            fact["evidence"][0]["quote"] = "According to sources, " + fact["evidence"][0]["quote"] + " (invented)"
            return altered
    return altered


FACT_FAULTS = ("typography", "dropped_word", "unit_word", "enum_case", "number_string", "null_list", "extra_key",
               "duplicate")


@dataclass
class Imperfect:
    """Answers as real models do: each fact, with probability `rate`, gets one fault of `faults`;
    every JSON answer is wrapped by `habit` ('fence', 'think' or '') on every attempt. Seeded."""

    rate: float = 0.15
    seed: int = 0
    habit: str = "fence"
    faults: tuple[str, ...] = FACT_FAULTS
    rng: random.Random = field(init=False)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def apply(self, payload: Payload) -> Any:
        out: dict[str, Any] = {}
        for name, facts in payload.items():
            out[name] = []
            for original in facts:
                fact = json.loads(json.dumps(original))
                out[name].append(fact)
                if self.rng.random() >= self.rate:
                    continue
                fault = self.rng.choice(self.faults)
                if self._fault(fault, fact, out[name]):
                    self.counts[fault] += 1
        return out

    def _fault(self, fault: str, fact: dict[str, Any], siblings: list[Any]) -> bool:
        quote = fact["evidence"][0]["quote"]
        if fault == "typography":
            fact["evidence"][0]["quote"] = quote.replace('"', "\u201c").replace("'", "\u2019").replace(" ", "  ", 1)
        elif fault == "dropped_word":
            words = quote.split(" ")
            if len(words) < 4:
                return False
            del words[len(words) // 2]
            fact["evidence"][0]["quote"] = " ".join(words)
        elif fault == "reworded":  # one word replaced: no code may decide what was meant, so it is re-asked
            words = quote.split(" ")
            if len(words) < 4:
                return False
            words[len(words) // 2] = "reportedly"
            fact["evidence"][0]["quote"] = " ".join(words)
        elif fault == "unit_word":
            words = {"CNY": "yuan", "%": "percent", "USD": "US dollars", "trains": "Trains"}
            if fact.get("unit") not in words:
                return False
            fact["unit"] = words[fact["unit"]]
        elif fault == "enum_case":
            fact["kind"] = str(fact["kind"]).replace("_", " ").title()
        elif fault == "number_string":
            if "value" not in fact:
                return False
            fact["value"] = f"{fact['value']:,}" if fact["value"] == int(fact["value"]) else str(fact["value"])
        elif fault == "null_list":
            lists = [k for k, v in fact.items() if isinstance(v, list) and not v and k != "evidence"]
            if not lists:
                return False
            fact[lists[0]] = None
        elif fault == "extra_key":
            fact["confidence"] = 0.9
        elif fault == "duplicate":
            siblings.append(json.loads(json.dumps(fact)))
        return True


class FakeLLM:
    """The server's state: responder, fault scripts and the record of requests."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.scripts: dict[str, deque[Fault]] = defaultdict(deque)
        self.always: dict[str, Fault] = {}
        self.records: list[Record] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.url = ""
        self.imperfect: Imperfect | None = None
        self.refuse: tuple[str, ...] = ()  # request fields answered with 400, as a server without them does
        self.refused = 0
        self.chunk_faults: dict[str, Fault] = {}

    def script(self, article_id: str, *faults: Fault) -> None:
        """Faults for the next requests about `article_id` ('*' for any), one per request."""
        self.scripts[article_id].extend(faults)

    def fail_always(self, article_id: str, fault: Fault) -> None:
        self.always[article_id] = fault

    def fail_chunk(self, head: str, fault: Fault) -> None:
        """`fault` for every request whose article text starts with `head` (one chunk of a long article)."""
        self.chunk_faults[head] = fault

    def next_fault(self, article_id: str | None) -> Fault:
        with self.lock:
            for key in (article_id or "", "*"):
                if key in self.always:
                    return self.always[key]
                if self.scripts.get(key):
                    return self.scripts[key].popleft()
        return OK

    def requests_for(self, article_id: str) -> list[Record]:
        return [r for r in self.records if r.article_id == article_id]


def answer_choice(body: dict[str, Any], payload_text: str, finish: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": payload_text}}]
    elif body.get("response_format"):
        message["content"] = payload_text
    else:  # MD_JSON: a fenced block inside prose
        message["content"] = f"Here are the facts.\n```json\n{payload_text}\n```"
    return {"index": 0, "message": message, "finish_reason": finish}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each request gains about 40 ms (STACK-NOTES)
    fake: FakeLLM

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send_json(self, code: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        with self.fake.lock:
            self.fake.in_flight += 1
            self.fake.max_in_flight = max(self.fake.max_in_flight, self.fake.in_flight)
        try:
            self._answer()
        finally:
            with self.fake.lock:
                self.fake.in_flight -= 1

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        fake = self.fake
        article_id = article_id_of(body)
        refused = [name for name in fake.refuse if name in body or (name == "json_schema" and
                   (body.get("response_format") or {}).get("type") == "json_schema")]
        if refused:  # like Ollama for a model without tool calling: "... does not support tools"
            with fake.lock:
                fake.refused += 1
            self._send_json(400, {"error": {"message": f"model {body.get('model')} does not support {refused[0]}",
                                            "type": "invalid_request_error"}})
            return
        text = chunk_text_of(body)
        fault = next((f for head, f in fake.chunk_faults.items() if text.startswith(head)), None) \
            or fake.next_fault(article_id)
        record = Record(body=body, article_id=article_id, fault=fault.kind, at=time.monotonic())
        with fake.lock:
            fake.records.append(record)
        if fault.kind == "status":
            self._send_json(fault.status, {"error": {"message": f"scripted {fault.status}", "type": "server_error"}},
                            fault.headers)
            return
        if fault.kind == "drop":
            self.close_connection = True
            return
        if fault.kind == "slow":
            time.sleep(fault.delay)
        payload = as_asked(body, fake.responder(body))
        if fault.kind == "hallucinate":
            payload = hallucinate(payload)
        elif fault.kind == "wrong_value":  # a figure 1000 times the one its untouched quote states
            payload = json.loads(json.dumps(payload))
            for metric in payload.get("metrics", [])[:1]:
                metric["value"] = metric["value"] * 1000
        if fake.imperfect is not None:
            with fake.lock:
                payload = fake.imperfect.apply(payload)
        text, finish = json.dumps(payload), "stop"
        if fake.imperfect is not None and fake.imperfect.habit:
            fault = Fault(fake.imperfect.habit)
        if fault.kind == "invalid_json":
            text = text.replace('"', "'")[: max(10, len(text) // 2)] + " ... and so on"
        elif fault.kind == "fence":  # a habit of many models, in content and in tool arguments alike
            text = f"Here is the JSON you asked for:\n```json\n{text}\n```\nLet me know if you need more."
        elif fault.kind == "think":  # a reasoning model thinks aloud before it answers, braces included
            text = f"<think>The user wants {{facts}}; I will list metrics first.</think>\n{text}\nDone."
        elif fault.kind == "truncated":
            text, finish = text[: len(text) // 2], "length"
        elif fault.kind == "cut_early":  # an output limit below one fact
            text, finish = text[:30], "length"
        record.answer_chars = len(text)
        record.prompt_tokens = len(json.dumps(body.get("messages", []))) // 4
        record.completion_tokens = len(text) // 4 + 1
        usage = {"prompt_tokens": record.prompt_tokens, "completion_tokens": record.completion_tokens,
                 "total_tokens": record.prompt_tokens + record.completion_tokens,
                 # as OpenAI reports a prompt-cache hit: the system prompt's share of the request
                 "prompt_tokens_details": {"cached_tokens": len(str(body.get("messages", [{}])[0].get("content", ""))) // 4}}
        choice = answer_choice(body, text, finish)
        if fault.kind == "refusal":  # OpenAI's structured-output refusal: no content, no tool call
            choice["message"] = {"role": "assistant", "content": None, "refusal": "I'm sorry, I cannot help with that."}
        response = {"id": f"chatcmpl-{len(fake.records)}", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "fake"), "choices": [choice], "usage": usage}
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self._send_json(200, response)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # dropped clients are expected
        pass


def start(fake: FakeLLM) -> tuple[_Server, threading.Thread]:
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = _Server(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread
