from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from seedstack.errors import ConfigError, NotFoundError
from seedstack.explain import explain_request, load_payload
from seedstack.explain.demo import insert_records
from seedstack.store import open_store
from seedstack.telemetry.record import RouteAttempt

from .obs_records import COMPLAINT_ID, NOW, chat_payload, make_record


def test_why_tells_the_whole_story_of_a_sampled_request(filled):
    story = explain_request(filled, COMPLAINT_ID)
    assert story["payload"]["sampled"] is True
    assert "denied" in story["payload"]["response"]["choices"][0]["message"]["content"]
    assert story["template"] == {"name": "support-refund", "version": "4", "variables": {"order": "A12345"}}
    assert story["params"]["temperature"] == 0.2 and story["params"]["seed"] == 42
    assert [(a["backend"], a["outcome"], a["detail"]) for a in story["route"]] == [
        ("vllm-c", "timeout", "no answer in 3 s"),
        ("vllm-a", "ok", None),
    ]
    assert story["model"]["upstream_model"] == "llama-3.1-8b-awq" and story["model"]["model_version"] == "v3"
    assert {g["detector"]: g["action"] for g in story["guard"]} == {"injection": "allow", "pii": "redact"}
    lat = story["latency"]
    assert lat["queue_ms"] + lat["ttft_ms"] + lat["generation_ms"] == pytest.approx(lat["total_ms"])
    assert story["usage"]["tokens_in"] == 120 and story["usage"]["cost_usd"] == pytest.approx(0.00012)
    assert story["lineage"]["status"] == "no registry entry"
    assert story["similar"], "similar past requests of the same template are listed"
    assert all(s["id"] != COMPLAINT_ID for s in story["similar"])
    orjson.dumps(story)  # the admin API and --json serialise it as is


def test_why_says_when_the_payload_was_not_sampled(store):
    insert_records(store, [make_record("req_meta_only")])
    story = explain_request(store, "req_meta_only")
    assert story["payload"]["sampled"] is False
    assert "not sampled" in story["payload"]["note"]
    assert story["similar"] == []


def test_why_shows_the_other_steps_of_its_trace(store):
    insert_records(
        store,
        [
            make_record("req_root", trace_id="t1", ts=NOW - 30),
            make_record("req_child", trace_id="t1", parent_id="req_root", ts=NOW - 20),
        ],
    )
    steps = explain_request(store, "req_child")["trace"]["steps"]
    assert steps[0]["request_id"] == "req_root"
    assert steps[0]["children"][0]["request_id"] == "req_child"


def test_unknown_request_id_says_where_ids_come_from(store):
    with pytest.raises(NotFoundError, match="x-request-id"):
        explain_request(store, "req_nope")


def test_encrypted_payloads_need_the_keyring(store):
    body = orjson.dumps(chat_payload("hi", "secret answer"))
    insert_records(store, [make_record("req_enc", payload_kept=True, route=[RouteAttempt("vllm-a", "ok", 200, 10.0)])])
    store.execute(
        "INSERT INTO payloads (request_id, ts, body, key_ref) VALUES (?, ?, ?, ?)",
        ("req_enc", NOW, body[::-1], "k1"),
    )
    story = explain_request(store, "req_enc")
    assert "encrypted" in story["payload"]["error"] and "key k1" in story["payload"]["error"]
    with pytest.raises(ConfigError):
        load_payload(store, "req_enc")
    assert (
        load_payload(store, "req_enc", decrypt=lambda b: b[::-1])["response"]["choices"][0]["message"]["content"]
        == "secret answer"
    )


def test_why_shows_lineage_from_the_model_registry(store):
    from seedstack.access import LOCAL_ADMIN
    from seedstack.registry import ModelRegistry

    ModelRegistry(store, LOCAL_ADMIN).register(
        "support-bot", "7", artifact="s3://weights/bot-7", base_model="llama-3.1-8b", backend="vllm-a"
    )
    insert_records(
        store,
        [
            make_record("req_reg", backend="vllm-a", model_version=None),
            make_record("req_unreg", backend="vllm-z", model_version="v3"),
        ],
    )
    lin = explain_request(store, "req_reg")["lineage"]
    assert lin["status"] == "ok" and lin["model"]["ref"] == "support-bot@7"
    assert lin["model"]["base_model"] == "llama-3.1-8b" and lin["datasets"] == []
    assert explain_request(store, "req_unreg")["lineage"]["status"] == "no registry entry"


def test_why_lineage_reads_the_same_rows_as_the_registry_without_loading_it(store):
    """``why`` reads lineage from store rows so a cold process never imports Delta Lake; it must
    say exactly what the registry says."""
    from seedstack.access import LOCAL_ADMIN
    from seedstack.data import DatasetCatalog, VersionRecord
    from seedstack.explain.lineage import request_lineage
    from seedstack.registry import ModelRegistry, lineage_for_request

    DatasetCatalog(store).record(
        VersionRecord(
            "chats",
            2,
            "c1",
            "append",
            "h1",
            "s1",
            40,
            10,
            "dana",
            "more chats",
            [{"uri": "a.jsonl"}],
            {"redacted": 3},
            NOW,
        )
    )
    reg = ModelRegistry(store, LOCAL_ADMIN)
    reg.register("bot", "1", artifact="s3://w/1", backend="vllm-a", datasets=["chats@v2"])
    reg.register("bot", "2", artifact="s3://w/2", backend="vllm-a/0", quantization="awq-int4")
    for version, backend in (("bot@1", None), (None, "vllm-a/0"), (None, "vllm-a/9"), ("v3", "vllm-z"), (None, None)):
        mine = request_lineage(store, version, backend)
        if mine["status"] == "ok":
            assert mine == {"status": "ok", **lineage_for_request(store, model_version=mine["model"]["ref"])}
    assert request_lineage(store, None, "vllm-a/0")["model"]["ref"] == "bot@2"  # exact backend name wins
    lin = request_lineage(store, None, "vllm-a/9")
    assert lin["model"]["ref"] == "bot@1" and lin["datasets"][0]["dataset"] == "chats@v2"
    assert lin["datasets"][0]["scrub"] == {"redacted": 3} and lin["datasets"][0]["sources"] == [{"uri": "a.jsonl"}]
    assert request_lineage(store, "v3", "vllm-z")["status"] == "no registry entry"


def _fresh_process(code: list[str], store_url: str) -> subprocess.CompletedProcess[str]:
    code += [
        "heavy = ('numpy', 'deltalake', 'pyarrow', 'seedstack.data', 'seedstack.registry')",
        "print('HEAVY', [m for m in heavy if m in sys.modules], file=sys.stderr)",
    ]
    env = {**os.environ, "SEEDSTACK_STORE": store_url}
    return subprocess.run([sys.executable, "-c", "\n".join(code)], capture_output=True, text=True, env=env, timeout=120)


def test_why_in_a_fresh_process_imports_neither_numpy_nor_the_data_layer(sqlite_url):
    """The cold path a user sees: ``seedstack why`` loads no numpy, Delta Lake or Arrow."""
    with open_store(sqlite_url) as cold:
        insert_records(cold, [make_record("req_cold", payload_kept=True, payload=chat_payload("hi", "hello"))])
        insert_records(
            cold, [make_record("req_near", ts=NOW - 7200, payload_kept=True, payload=chat_payload("hi", "hi"))]
        )
    cli = _fresh_process(
        [
            "import sys",
            "from seedstack.cli.main import main",
            "sys.argv = ['seedstack', 'why', 'req_cold', '--json']",
            "try:",
            "    main()",
            "except SystemExit:",
            "    pass",
        ],
        sqlite_url,
    )
    assert '"req_cold"' in cli.stdout and '"req_near"' in cli.stdout, cli.stderr  # similar: found
    assert "'deltalake'" not in cli.stderr and "'seedstack.data'" not in cli.stderr
    alone = _fresh_process(
        [
            "import sys",
            "from seedstack.cli.lazy import LazyCommand",
            "cmd = LazyCommand('seedstack.cli.why', 'why').load('why')",
            "cmd.main(['req_cold'], standalone_mode=False)",
        ],
        sqlite_url,
    )
    assert "req_cold" in alone.stdout and "HEAVY []" in alone.stderr, alone.stderr


_MAIN = "import sys; from seedstack.cli.main import main; sys.argv[0] = 'seedstack'; main()"
_TYPER = "import sys; from seedstack.cli.app import app; sys.argv[0] = 'seedstack'; app()"
_LOADED = (
    "import atexit, sys; atexit.register(lambda: print('LOADED', "
    "[m for m in ('typer', 'pydantic', 'psycopg_pool', 'numpy') if m in sys.modules], file=sys.stderr)); "
)


def _cli(code: str, args: list[str], store_url: str) -> tuple[int, str, str, str]:
    """Exit status, stdout, stderr and the heavy modules loaded, of a fresh ``seedstack`` process."""
    env = {**os.environ, "SEEDSTACK_STORE": store_url, "COLUMNS": "150"}
    out = subprocess.run(
        [sys.executable, "-c", _LOADED + code, *args], capture_output=True, text=True, env=env, timeout=120
    )
    err, _, loaded = out.stderr.rpartition("LOADED ")
    return out.returncode, out.stdout, err, loaded.strip()


def test_why_runs_before_typer_loads_and_prints_what_the_typer_command_prints(store_url):
    """`seedstack why ID` skips the CLI framework (and pydantic, and the PostgreSQL pool): the same
    tables, JSON, sealed payloads and errors as the typer command, on every store."""
    from seedstack.config import load_settings
    from seedstack.crypto import DataKeyring

    ring = DataKeyring.from_settings(load_settings())
    body = ring.encrypt(orjson.dumps(chat_payload("where is my parcel", "The sealed parcel left on Monday")))
    with open_store(store_url) as s:
        insert_records(
            s,
            [
                make_record("req_near", ts=NOW - 7200, payload_kept=True, payload=chat_payload("parcel?", "soon")),
                make_record("req_meta", status_code=502, error_class="upstream_error", error_message="all failed"),
                make_record("req_sealed", payload_kept=True, trace_id="t9", payload=chat_payload("parcel", "x")),
            ],
        )
        s.execute(  # sealed, as the gateway writes it
            "UPDATE payloads SET body = ?, key_ref = ? WHERE request_id = 'req_sealed'", (body, ring.key_id_of(body))
        )
    for args in (["why", "req_sealed"], ["why", "--json", "req_sealed"], ["why", "req_meta"], ["why", "req_nope"]):
        direct, typed = _cli(_MAIN, args, store_url), _cli(_TYPER, args, store_url)
        assert direct[:3] == typed[:3], args
        assert direct[3] == "[]", (args, direct[3])  # no typer, pydantic, pool or numpy
    status, out, err, _ = _cli(_MAIN, ["why", "req_sealed"], store_url)
    assert status == 0 and "The sealed parcel left on Monday" in out and "req_near" in out and "trace t9" in out
    status, out, err, _ = _cli(_MAIN, ["why", "req_nope"], store_url)
    assert status == 1 and out == "" and err.startswith("error: no request req_nope") and "Traceback" not in err


def test_why_arguments_typer_must_see_still_go_to_typer(sqlite_url):
    status, out, _, loaded = _cli(_MAIN, ["why", "--help"], sqlite_url)
    assert status == 0 and "--json" in out and "typer" in loaded
    status, _, err, _ = _cli(_MAIN, ["why"], sqlite_url)
    assert status == 2 and "Missing argument" in err


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["why", "req_1"], ("req_1", None, False)),
        (["why", "--json", "req_1"], ("req_1", None, True)),
        (["why", "req_1", "-c", "s.yaml", "--json"], ("req_1", "s.yaml", True)),
        (["why", "--config=s.yaml", "req_1"], ("req_1", "s.yaml", False)),
        (["why", "--config", "s.yaml", "req_1"], ("req_1", "s.yaml", False)),
        (["why"], None),
        (["why", "--help"], None),
        (["why", "req_1", "req_2"], None),
        (["why", "--", "req_1"], None),
        (["why", "req_1", "-c"], None),
        (["why", "req_1", "-c", "--json"], None),
        (["why", "req_1", "-cs.yaml"], None),
        (["why", "req_1", "--json", "--json"], None),
        (["why", "-x"], None),
        (["why", ""], None),
        (["search", "req_1"], None),
        (["--help", "why", "req_1"], None),
    ],
)
def test_only_plain_why_arguments_run_without_typer(args, parsed):
    from pathlib import Path

    from seedstack.cli.direct import WhyArgs, parse_why

    expected = None if parsed is None else WhyArgs(parsed[0], Path(parsed[1]) if parsed[1] else None, parsed[2])
    assert parse_why(args) == expected


def test_why_into_a_closed_pipe_ends_with_status_1_and_no_traceback(sqlite_url):
    with open_store(sqlite_url) as s:
        insert_records(s, [make_record("req_piped", payload_kept=True, payload=chat_payload("hi", "x" * 5000))])
    env = {**os.environ, "SEEDSTACK_STORE": sqlite_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", _MAIN, "why", "req_piped"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `seedstack why ID | head -0`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1 and err == ""


def test_typer_commands_run_with_the_garbage_collector_on(monkeypatch, capsys):
    """Only the one-shot direct command turns the collector off; `seedstack up` runs for days."""
    import gc

    from seedstack.cli.main import main

    monkeypatch.setattr(sys, "argv", ["seedstack", "version"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0 and gc.isenabled() and capsys.readouterr().out.strip()
