"""The egress, latency and payload rules on both stores: each side of every threshold and the
boundary exactly, from bills and gateway records."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from seedstack.config import load_settings
from seedstack.cost.billing import import_bill
from seedstack.cost.rules import NO_DATA, EgressRule, LatencyRule, PayloadVolumeRule, run_rules

NOW = 1_795_000_020.0
DAY = 86400.0
CUR_HEADER = (
    "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UsageType,lineItem/UsageAmount,lineItem/UnblendedCost"
)


def _iso(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cur(tmp_path: Path, days: int, compute: float, transfer: float, usage: str) -> Path:
    start = NOW - days * DAY
    lines = [CUR_HEADER]
    for d in range(days):
        t0, t1 = _iso(start + d * DAY), _iso(start + (d + 1) * DAY)
        lines.append(f"{t0},{t1},USE1-BoxUsage:p5.48xlarge,24,{compute}")
        lines.append(f"{t0},{t1},{usage},{transfer / 0.09:.3f},{transfer}")
    f = tmp_path / f"cur-{uuid.uuid4().hex[:6]}.csv"
    f.write_text("\n".join(lines) + "\n")
    return f


@pytest.mark.parametrize(("transfer", "verdict"), [(14.99, "ok"), (15.0, "ok"), (15.01, "co-locate")])
def test_egress_threshold(store, tmp_path: Path, transfer: float, verdict: str) -> None:  # type: ignore[no-untyped-def]
    # 30 days of a $100/day bill: transfer at 15% of it is the boundary
    import_bill(store, _cur(tmp_path, 30, 100.0 - transfer, transfer, "USE1-USW2-AWS-Out-Bytes"))
    [r] = run_rules(store, load_settings(), now=NOW, rules=[EgressRule()])
    assert r.verdict == verdict
    assert r.evidence["share"] == pytest.approx(transfer / 100.0)
    if verdict == "co-locate":
        assert "cross-region us-east-1 -> us-west-2" in r.recommendation
        assert r.usd_per_month == pytest.approx(transfer * 30 * (730 / 24) / 30, abs=0.01)


def test_the_guides_daily_copy_costs_164k_a_year(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # 5 TB a day cross-region at $0.09/GB = $450 a day, next to $500/day of compute
    import_bill(store, _cur(tmp_path, 30, 500.0, 450.0, "USE1-USW2-AWS-Out-Bytes"))
    [r] = run_rules(store, load_settings(), now=NOW, rules=[EgressRule()])
    assert r.verdict == "co-locate"
    assert r.evidence["top_pairs"][0]["quantity"] == pytest.approx(30 * 5000, rel=1e-6)
    assert r.evidence["avoidable_usd_per_year"] == pytest.approx(164_250.0, abs=0.5)


def test_internet_egress_is_not_fixed_by_co_location(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_bill(store, _cur(tmp_path, 30, 50.0, 50.0, "USE1-DataTransfer-Out-Bytes"))
    [r] = run_rules(store, load_settings(), now=NOW, rules=[EgressRule()])
    assert r.verdict == "review-egress" and r.usd_per_month == 0


def _requests(store: Any, rows: list[dict[str, Any]]) -> None:
    cols = [
        "id",
        "ts",
        "endpoint",
        "alias",
        "simulated",
        "stream",
        "status_code",
        "latency_ms",
        "ttft_ms",
        "payload_kept",
        "payload_reason",
    ]
    store.executemany(
        f"INSERT INTO requests ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [tuple(r.get(c) for c in cols) for r in rows],
    )


def _req(**kw: Any) -> dict[str, Any]:
    base = {
        "id": uuid.uuid4().hex,
        "ts": NOW - 3600,
        "endpoint": "chat",
        "alias": "chat",
        "simulated": 0,
        "stream": 0,
        "status_code": 200,
        "latency_ms": 100.0,
        "ttft_ms": None,
        "payload_kept": 0,
        "payload_reason": None,
    }
    return base | kw


GPU_ALIAS = {
    "chat": {
        "backends": [
            {
                "provider": "openai",
                "base_url": "http://vllm:8000/v1",
                "gpu": {"type": "H100", "count": 2, "usd_per_hour": 2.49},
            }
        ]
    }
}


@pytest.mark.parametrize(("p99", "verdict"), [(299.9, "ok"), (300.0, "ok"), (300.1, "optimize")])
def test_latency_threshold(store, p99: float, verdict: str) -> None:  # type: ignore[no-untyped-def]
    # 100 real chat requests: nearest-rank p99 is the 99th; streamed ones count their TTFT
    rows = [_req(latency_ms=120.0) for _ in range(90)]
    rows += [_req(stream=1, latency_ms=4000.0, ttft_ms=150.0) for _ in range(8)]
    rows += [_req(latency_ms=p99), _req(latency_ms=900.0)]
    rows += [_req(simulated=1, latency_ms=9000.0) for _ in range(10)]  # simulated: not real
    rows += [_req(status_code=502, latency_ms=9000.0) for _ in range(10)]  # failures: not latency
    rows += [_req(endpoint="embeddings", latency_ms=9000.0) for _ in range(10)]
    _requests(store, rows)
    [r] = run_rules(store, load_settings(models=GPU_ALIAS), now=NOW, rules=[LatencyRule()])
    assert r.verdict == verdict
    [alias] = r.evidence["aliases"]
    assert alias["requests"] == 100 and alias["p99_ms"] == p99
    if verdict == "optimize":
        assert "quantize" in r.recommendation
        assert r.usd_per_month == pytest.approx(2 * 2.49 * 730)  # the hardware not bought


def test_latency_without_enough_real_traffic_has_no_verdict(store) -> None:  # type: ignore[no-untyped-def]
    _requests(store, [_req(latency_ms=900.0) for _ in range(5)] + [_req(simulated=1) for _ in range(100)])
    [r] = run_rules(store, load_settings(), now=NOW, rules=[LatencyRule()])
    assert r.verdict == NO_DATA


@pytest.mark.parametrize(("kept", "verdict"), [(49, "raise"), (50, "ok"), (100, "ok"), (101, "reduce")])
def test_payload_share_thresholds(store, kept: int, verdict: str) -> None:  # type: ignore[no-untyped-def]
    rows = [_req(payload_kept=1, payload_reason="sampled") if i < kept else _req() for i in range(1000)]
    rows += [_req(simulated=1, payload_kept=1, payload_reason="sampled") for _ in range(500)]
    _requests(store, rows)
    body = b"x" * 2000
    store.executemany(
        "INSERT INTO payloads (request_id, ts, body) VALUES (?, ?, ?)",
        [(r["id"], r["ts"], body) for r in rows if r["payload_kept"]],
    )
    [r] = run_rules(store, load_settings(), now=NOW, rules=[PayloadVolumeRule()])
    assert r.verdict == verdict
    assert r.evidence["kept_share"] == kept / 1000 and r.evidence["stored_bytes"] == kept * 2000
    gb_month = kept * 2000 * (730 / 24) / 7 / 1e9
    cost = gb_month * 3 * 0.115
    assert r.evidence["storage_usd_per_month"] == pytest.approx(round(cost, 2))
    if verdict == "reduce":
        assert r.usd_per_month == pytest.approx(round(cost * (1 - 0.10 / 0.101), 2))
    if verdict == "raise":
        assert r.usd_per_month is not None and r.usd_per_month <= 0


def test_audit_mode_keeps_everything_by_design(store) -> None:  # type: ignore[no-untyped-def]
    _requests(store, [_req(payload_kept=1, payload_reason="audit") for _ in range(50)])
    [r] = run_rules(store, load_settings(telemetry={"audit": True}), now=NOW, rules=[PayloadVolumeRule()])
    assert r.verdict == "ok" and r.evidence["audit"] is True and r.evidence["kept_share"] == 1.0


def test_empty_store_gives_no_data_for_every_rule(store) -> None:  # type: ignore[no-untyped-def]
    results = run_rules(store, load_settings(), now=NOW)
    assert [r.rule for r in results] == ["reserve", "idle", "egress", "latency", "payloads"]
    assert {r.verdict for r in results} == {NO_DATA}
    assert all(r.to_dict()["recommendation"] for r in results)


def test_latency_rule_cites_quantized_benchmarks_when_the_bench_table_has_them(store) -> None:  # type: ignore[no-untyped-def]
    _requests(store, [_req(latency_ms=450.0) for _ in range(30)])
    store.execute(
        "INSERT INTO bench_runs (id, ts, label, url, model, shape, completed, failed, duration_s, e2e_p99_ms, "
        "summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "b1",
            NOW - DAY,
            "llama-8b-awq-int4",
            "http://vllm-awq:8000/v1",
            "llama-8b-awq",
            "poisson",
            200,
            0,
            60.0,
            180.0,
            "{}",
        ),
    )
    [r] = run_rules(store, load_settings(), now=NOW, rules=[LatencyRule()])
    assert r.verdict == "optimize" and r.usd_per_month is None  # no gpu: block, so no hardware price
    assert [b["label"] for b in r.evidence["quantized_benchmarks"]] == ["llama-8b-awq-int4"]
    assert "quantized_benchmarks" in r.recommendation


def test_a_typo_in_the_cost_config_names_the_key() -> None:
    from seedstack.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cost\.windw_days: unknown key"):
        load_settings(cost={"windw_days": 14})
