"""What models actually send around their JSON, taken off before instructor parses it.

Reasoning and many local models lead with a `<think>...</think>` (or `<thinking>`) block,
wrap the JSON in a Markdown fence, or add a sentence before or after it. Inside the
instructor attempt (backend.py's `send`), the answer's content is cut to the JSON object,
so a parse failure is re-asked only when no JSON object is there at all.
"""

from __future__ import annotations

import re
from typing import Any

_THINK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|\Z)", re.IGNORECASE | re.DOTALL)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def json_text(content: str) -> str | None:
    """The JSON object in a model's answer text, or None when the text is that already (nothing to cut)."""
    text = _THINK.sub("", content).strip()
    fenced = [m.group(1).strip() for m in _FENCE.finditer(text)]
    candidates = [f for f in fenced if f.startswith("{")] or [text]
    body = candidates[0]
    start, end = body.find("{"), body.rfind("}")
    if start == -1 or end < start:
        return None if text == content else text
    cut = body[start : end + 1]
    return None if cut == content else cut


def clean_completion(completion: Any) -> int:
    """Cut every choice's content (and tool-call arguments) to its JSON object, in place; how many were cut."""
    cut = 0
    for choice in getattr(completion, "choices", None) or []:
        message = getattr(choice, "message", None)
        if message is None:
            continue
        content = getattr(message, "content", None)
        if isinstance(content, str) and content.strip():
            cleaned = json_text(content)
            if cleaned is not None:
                message.content = cleaned
                cut += 1
        for call in getattr(message, "tool_calls", None) or []:
            function = getattr(call, "function", None)
            arguments = getattr(function, "arguments", None)
            if isinstance(arguments, str):
                cleaned = json_text(arguments)
                if cleaned is not None:
                    function.arguments = cleaned
                    cut += 1
    return cut
