"""A cut-off answer (finish_reason "length") keeps the facts it finished.

`finished_prefix` closes the answer's JSON right after its last complete fact, so the
facts written before the cut are parsed and validated like any other answer; only the
rest is asked for again (backend.py), never the halves of the text.
"""

from __future__ import annotations

import json

from extract.backends.llm.repair import without_thinking


def finished_prefix(text: str) -> str | None:
    """The answer up to its last complete fact, closed into valid JSON; None if no fact was finished."""
    text = without_thinking(text)
    start = text.find("{")
    if start < 0:
        return None
    stack: list[str] = []
    in_string = escaped = False
    best: tuple[int, str] | None = None
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]":
            if not stack:
                return None
            stack.pop()
            if stack == ["{", "["] and ch == "}":  # a fact of a top-level list just closed
                best = (i + 1, "]}")
            elif stack == ["{"] and ch == "]":  # a top-level list closed
                best = (i + 1, "}")
            elif not stack:  # the whole answer closed: it was not cut after all
                best = (i + 1, "")
                break
    if best is None:
        return None
    candidate = text[start : best[0]] + best[1]
    try:
        json.loads(candidate)
    except ValueError:
        return None
    return candidate
