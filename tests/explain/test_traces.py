from __future__ import annotations

import pytest

from seedstack.errors import NotFoundError
from seedstack.explain import load_trace
from seedstack.explain.demo import insert_records

from .obs_records import NOW, make_record


def _agent_payload():
    return {
        "request": {
            "messages": [
                {"role": "user", "content": "what did Acme earn?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "web_search", "arguments": '{"q": "Acme"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "Acme revenue 12M"},
            ]
        },
        "response": {"choices": [{"message": {"role": "assistant", "content": "Acme earned 12M."}}]},
    }


def test_trace_is_a_tree_with_tool_calls_as_steps(store):
    insert_records(
        store,
        [
            make_record("req_plan", trace_id="trace-9", ts=NOW - 50),
            make_record(
                "req_act",
                trace_id="trace-9",
                parent_id="req_plan",
                ts=NOW - 40,
                payload_kept=True,
                payload=_agent_payload(),
            ),
            make_record("req_answer", trace_id="trace-9", parent_id="req_plan", ts=NOW - 30),
            make_record("req_other", trace_id="trace-10", ts=NOW - 30),
        ],
    )
    roots = load_trace(store, "trace-9")
    assert [r.request_id for r in roots] == ["req_plan"]
    act, answer = roots[0].children
    assert (act.request_id, answer.request_id) == ("req_act", "req_answer")
    assert [(s.kind, s.label) for s in act.children] == [
        ("tool_call", 'web_search({"q": "Acme"})'),
        ("tool_result", "Acme revenue 12M"),
    ]


def test_unknown_trace_names_where_trace_ids_come_from(store):
    with pytest.raises(NotFoundError, match="traceparent"):
        load_trace(store, "nope")
