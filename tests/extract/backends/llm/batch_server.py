"""A scripted OpenAI Batch API server on 127.0.0.1: files, batches, retrieve, content, cancel, list.

Each batch moves validating -> in_progress -> completed as it is polled (`polls` retrieves
in progress), then answers every line with `complete(body)` (a chat completion as the
chat-completions server would give). Scripts: `expire` (the batch expires; its first
`answered` lines are in the output file and the rest get `batch_expired` in the error
file), `line_errors` (custom ids answered with an error line), `fail_create` (the create
call is refused). Requests to /chat/completions are counted and refused: a batch run must
never send any.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Completer = Callable[[dict[str, Any]], dict[str, Any]]
TERMINAL = ("completed", "failed", "expired", "cancelled")


@dataclass
class BatchState:
    record: dict[str, Any]
    lines: list[dict[str, Any]]
    polls_left: int


@dataclass
class FakeBatchAPI:
    complete: Completer
    polls: int = 1  # retrieves spent in_progress before the batch completes
    expire_after: int | None = None  # expire the next batch with this many lines answered
    line_errors: set[str] = field(default_factory=set)
    files_route: bool = True  # False: answer /files with 404, as a chat-only server (Ollama, llama.cpp) does
    before_reply: Callable[[str], None] | None = None  # called with "POST /files" etc. once done, before answering
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, BatchState] = field(default_factory=dict)
    chat_requests: int = 0
    calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{len(self.files) + len(self.batches) + 1:04d}"

    def add_file(self, name: str, purpose: str, data: bytes) -> dict[str, Any]:
        file_id = self._id("file")
        record = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                  "filename": name, "purpose": purpose, "status": "processed"}
        self.files[file_id] = record
        self.contents[file_id] = data
        return record

    def create_batch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        file_id = body.get("input_file_id")
        if file_id not in self.contents:
            return 400, {"error": {"message": f"no file {file_id}", "type": "invalid_request_error"}}
        lines = [json.loads(line) for line in self.contents[file_id].decode().splitlines() if line.strip()]
        ids = [line["custom_id"] for line in lines]
        if len(set(ids)) != len(ids):
            return 400, {"error": {"message": "custom_id values must be unique", "type": "invalid_request_error"}}
        batch_id = self._id("batch")
        record = {"id": batch_id, "object": "batch", "endpoint": body["endpoint"], "input_file_id": file_id,
                  "completion_window": body.get("completion_window", "24h"), "status": "validating",
                  "created_at": int(time.time()), "metadata": body.get("metadata") or {},
                  "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                  "output_file_id": None, "error_file_id": None}
        self.batches[batch_id] = BatchState(record, lines, self.polls)
        return 200, record

    def poll(self, batch_id: str) -> dict[str, Any] | None:
        state = self.batches.get(batch_id)
        if state is None:
            return None
        record = state.record
        if record["status"] == "validating":
            record["status"] = "in_progress"
        elif record["status"] == "in_progress":
            if state.polls_left > 0:
                state.polls_left -= 1
            else:
                self._finish(state)
        elif record["status"] == "cancelling":
            self._finish(state, cancelled=True)
        return record

    def _finish(self, state: BatchState, cancelled: bool = False) -> None:
        outputs, errors = [], []
        expire = self.expire_after
        for n, line in enumerate(state.lines):
            cid = line["custom_id"]
            if cancelled or (expire is not None and n >= expire):
                code = "batch_cancelled" if cancelled else "batch_expired"
                errors.append({"id": f"req-{n}", "custom_id": cid, "response": None,
                               "error": {"code": code, "message": f"request not run: {code}"}})
            elif cid in self.line_errors:
                errors.append({"id": f"req-{n}", "custom_id": cid,
                               "response": {"status_code": 400, "request_id": f"r{n}",
                                            "body": {"error": {"message": "scripted line error"}}},
                               "error": None})
            else:
                outputs.append({"id": f"req-{n}", "custom_id": cid, "error": None,
                                "response": {"status_code": 200, "request_id": f"r{n}", "body": self.complete(line["body"])}})
        outputs.reverse()  # order is not guaranteed by the real API: callers must join on custom_id
        record = state.record
        if outputs:
            record["output_file_id"] = self.add_file("output.jsonl", "batch_output",
                                                     "".join(json.dumps(o) + "\n" for o in outputs).encode())["id"]
        if errors:
            record["error_file_id"] = self.add_file("errors.jsonl", "batch_output",
                                                    "".join(json.dumps(e) + "\n" for e in errors).encode())["id"]
        record["request_counts"] = {"total": len(state.lines), "completed": len(outputs), "failed": len(errors)}
        record["status"] = "cancelled" if cancelled else ("expired" if expire is not None else "completed")
        self.expire_after = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    api: FakeBatchAPI

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, data: dict[str, Any] | bytes, content_type: str = "application/json") -> None:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_GET(self) -> None:
        api, parts = self.api, urlsplit(self.path)
        path = parts.path.removeprefix("/v1")
        with api.lock:
            api.calls.append(f"GET {path}")
            if path == "/batches":
                limit = int(parse_qs(parts.query).get("limit", ["20"])[0])
                data = [s.record for s in reversed(api.batches.values())][:limit]
                self._send(200, {"object": "list", "data": data, "has_more": False,
                                 "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None})
            elif path.startswith("/batches/"):
                record = api.poll(path.split("/")[2])
                self._send(200, record) if record else self._send(404, {"error": {"message": "no such batch"}})
            elif path.startswith("/files/") and path.endswith("/content"):
                data = api.contents.get(path.split("/")[2])
                self._send(200, data, "application/octet-stream") if data is not None else \
                    self._send(404, {"error": {"message": "no such file"}})
            else:
                self._send(404, {"error": {"message": f"no route {path}"}})

    def do_POST(self) -> None:
        api, path = self.api, urlsplit(self.path).path.removeprefix("/v1")
        raw = self._body()
        with api.lock:
            api.calls.append(f"POST {path}")
            if path == "/chat/completions":
                api.chat_requests += 1
                self._send(400, {"error": {"message": "this test server only takes batches"}})
            elif path == "/files" and not api.files_route:
                self._send(404, {"error": {"message": "404 page not found"}})
            elif path == "/files":
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw)
                fields: dict[str, Any] = {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    fields[name] = (part.get_filename(), part.get_payload(decode=True))
                filename, data = fields["file"]
                purpose = fields["purpose"][1].decode()
                record = api.add_file(filename or "upload.jsonl", purpose, data)
                if api.before_reply:
                    api.before_reply("POST /files")
                self._send(200, record)
            elif path == "/batches":
                code, data = api.create_batch(json.loads(raw))
                if api.before_reply:
                    api.before_reply("POST /batches")
                self._send(code, data)
            elif path.startswith("/batches/") and path.endswith("/cancel"):
                state = api.batches.get(path.split("/")[2])
                if state is None:
                    self._send(404, {"error": {"message": "no such batch"}})
                else:
                    if state.record["status"] not in TERMINAL:
                        state.record["status"] = "cancelling"
                    self._send(200, state.record)
            else:
                self._send(404, {"error": {"message": f"no route {path}"}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def start(api: FakeBatchAPI) -> tuple[_Server, threading.Thread]:
    handler = type("Handler", (_Handler,), {"api": api})
    server = _Server(("127.0.0.1", 0), handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread
