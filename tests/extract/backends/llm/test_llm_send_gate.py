"""Answer checks wait until the requests that took a slot are written (extract/backends/llm/sendgate.py): the gate
clears on httpx's body-written trace event, never waits for ever, and a run leaves nothing pending."""

from __future__ import annotations

import asyncio

import httpx2
from llm_helpers import seed
from llm_server import FakeLLM, Fault
from test_llm_faults import ARTICLE_ID, _articles, assert_gold

from extract.backends.llm import sendgate
from extract.backends.llm.backend import LLMBackend
from extract.backends.llm.sendgate import MAX_TURNS, SendGate
from extract.backends.llm.settings import LLMSettings
from extract.store.http_cache import caching_http_client


def test_a_check_waits_while_a_request_is_pending_and_goes_on_once_it_is_written() -> None:
    async def go() -> list[str]:
        gate, order = SendGate(), []

        async def request() -> None:
            mark, token = gate.sending()
            for _ in range(3):
                await asyncio.sleep(0)  # writing the request takes a few turns of the loop
            order.append("written")
            mark.done()
            mark.done()  # idempotent
            sendgate.reset(token)

        async def check() -> None:
            await gate.clear()
            order.append("checked")

        await asyncio.gather(check(), request())
        assert gate.pending == 0
        return order

    assert asyncio.run(go()) == ["written", "checked"]


def test_a_request_stuck_before_the_wire_holds_a_check_up_for_a_bounded_number_of_turns() -> None:
    async def go() -> int:
        gate = SendGate()
        gate.sending()  # never written
        turns = 0

        async def count() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        counter = asyncio.create_task(count())
        await gate.clear()
        counter.cancel()
        return turns

    assert asyncio.run(go()) <= MAX_TURNS + 2


def test_the_body_written_trace_event_clears_the_mark(fake_llm: FakeLLM) -> None:
    async def go() -> int:
        gate = SendGate()
        client = caching_http_client(event_hooks={"request": [sendgate.on_request]})
        cleared_before_answer: list[bool] = []

        async def on_response(_response: httpx2.Response) -> None:
            cleared_before_answer.append(gate.pending == 0)

        client.event_hooks["response"].append(on_response)
        mark, token = gate.sending()
        try:
            await client.get(fake_llm.url.removesuffix("/v1") + "/v1/models")
        finally:
            sendgate.reset(token)
            await client.aclose()
        assert cleared_before_answer == [True]  # by the trace, not by anyone calling done()
        mark.done()
        return gate.pending

    assert asyncio.run(go()) == 0


def test_a_run_with_waiting_requests_leaves_nothing_pending_and_the_same_sheets(
        fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always("*", Fault("slow", delay=0.05))
    articles = _articles(6)

    async def go() -> tuple[list, int]:
        backend = LLMBackend(settings.model_copy(update={"concurrency": 2}))
        try:
            sheets = await asyncio.gather(*(backend.extract(a) for a in articles))
            return sheets, backend._get_transport().gate.pending
        finally:
            await backend.aclose()

    sheets, pending = asyncio.run(go())
    assert pending == 0
    assert len(fake_llm.records) == 6
    for sheet in sheets:
        assert_gold(seed(ARTICLE_ID), sheet)
