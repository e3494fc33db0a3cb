"""``seedstack bench …``: load-test endpoints and compare variants (``eval`` lives in ``cli/evals.py``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..bench import (
    SLO,
    BenchRepository,
    Endpoint,
    LoadShape,
    compare,
    load_document,
    load_prompts,
    render_html,
    run_benchmark,
    sweep,
    synthetic_prompts,
    write_csv,
    write_json,
)
from ..bench.pricing import resolve_gpu_price
from ..bench.report import compare_csv
from ..bench.runner import with_rate
from ..config import Settings
from ..errors import ConfigError, NotFoundError
from ..evals import EvalRepository
from ._common import ConfigOption, console, err_console, friendly_errors, open_cli_store, settings_from
from .evals import eval_app

__all__ = ["bench_app", "eval_app"]  # eval_app is re-exported for the mount in main.py

bench_app = typer.Typer(help="Load-test any OpenAI-compatible endpoint and compare variants.", no_args_is_help=True)


class _Throttled:
    """Live progress that redraws at most 5 times a second, so the display never slows the load generator."""

    def __init__(self, progress: Progress, task: Any) -> None:
        self.progress, self.task, self.last = progress, task, 0.0

    def __call__(self, done: int, failed: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last < 0.2 and done + failed < total:
            return
        self.last = now
        self.progress.update(
            self.task, completed=done + failed, total=total or None, description=f"ok {done}  failed {failed}"
        )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _print_summary(doc: dict[str, Any]) -> None:
    s = doc["summary"]
    t = Table(
        title=f"{doc['label']}  {doc['url']}  ({s['completed']} ok, {s['failed']} failed, {s['duration_s']:.1f} s)"
    )
    for col in ("metric (ms)", "mean", "p50", "p90", "p95", "p99"):
        t.add_column(col, justify="right")
    for key, name in (
        ("ttft_ms", "TTFT"),
        ("tpot_ms", "TPOT"),
        ("itl_ms", "ITL"),
        ("e2e_ms", "E2E"),
        ("client_lag_ms", "client lag"),
    ):
        d = s[key]
        t.add_row(name, *(_fmt(d[k]) for k in ("mean", "p50", "p90", "p95", "p99")))
    console.print(t)
    console.print(
        f"request throughput {s['request_throughput']:.2f} req/s · output {s['output_throughput']:.1f} "
        f"tok/s · goodput {s['goodput']:.2f} req/s ({s['good_fraction'] * 100:.1f}% within SLO "
        f"{ {k: v for k, v in s['slo'].items() if v is not None} })",
        highlight=False,
    )
    if s["errors"]:
        err_console.print(f"[yellow]errors:[/] {s['errors']}")
    if doc["client"]["warning"]:
        err_console.print(f"[bold yellow]warning:[/] {doc['client']['warning']}")


@bench_app.command("run")
@friendly_errors
def bench_run(
    url: Annotated[str, typer.Argument(help="base URL (http://host:port/v1) or the full endpoint URL")],
    model: Annotated[str, typer.Option("--model", "-m", help="model name the endpoint serves")],
    rate: Annotated[float | None, typer.Option(help="open loop: requests per second")] = None,
    arrival: Annotated[str, typer.Option(help="open-loop arrivals: poisson or constant")] = "poisson",
    concurrency: Annotated[int | None, typer.Option(help="closed loop: requests in flight (caps --rate)")] = None,
    requests: Annotated[int | None, typer.Option("--requests", "-n", help="stop after N requests")] = None,
    duration: Annotated[float | None, typer.Option(help="stop sending after SECONDS")] = None,
    dataset: Annotated[Path | None, typer.Option(help="prompts.jsonl: {prompt|messages, max_tokens}")] = None,
    input_tokens: Annotated[int, typer.Option(help="synthetic prompt length (tokens)")] = 128,
    output_tokens: Annotated[int, typer.Option(help="tokens asked per request")] = 64,
    num_prompts: Annotated[int, typer.Option(help="distinct synthetic prompts")] = 200,
    stream: Annotated[bool, typer.Option("--stream/--no-stream")] = True,
    endpoint: Annotated[str, typer.Option(help="chat or completions")] = "chat",
    ignore_eos: Annotated[bool, typer.Option(help="send ignore_eos (vLLM) so every reply has max_tokens")] = False,
    api_key: Annotated[str | None, typer.Option(help="Bearer key for the endpoint")] = None,
    label: Annotated[str | None, typer.Option(help="variant name in reports, e.g. llama-8b-fp8")] = None,
    slo_ttft_ms: Annotated[float | None, typer.Option(help="goodput SLO on TTFT")] = None,
    slo_tpot_ms: Annotated[float | None, typer.Option(help="goodput SLO on TPOT")] = None,
    slo_e2e_ms: Annotated[float | None, typer.Option(help="goodput SLO on E2E latency")] = None,
    do_sweep: Annotated[bool, typer.Option("--sweep", help="find the max rate that meets the SLOs")] = False,
    sweep_start: Annotated[float, typer.Option(help="first sweep rate (req/s)")] = 1.0,
    sweep_max: Annotated[float, typer.Option(help="highest sweep rate tried")] = 1000.0,
    sweep_min_good: Annotated[float, typer.Option(help="share of requests that must meet the SLOs")] = 0.95,
    gpu_usd_per_hour: Annotated[float | None, typer.Option(help="GPU price of this endpoint (all GPUs)")] = None,
    gpu_type: Annotated[str | None, typer.Option(help="look the price up in the cost catalog, e.g. H100")] = None,
    gpu_count: Annotated[int, typer.Option(help="GPUs behind the endpoint")] = 1,
    gpu_pricing: Annotated[str, typer.Option(help="catalog pricing: on-demand, reserved, spot, serverless")] = (
        "on-demand"
    ),
    seed: Annotated[int, typer.Option(help="arrival and prompt seed")] = 0,
    out: Annotated[Path | None, typer.Option(help="write the result JSON here")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write per-request rows as CSV here")] = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="record the result in the store")] = True,
    config: ConfigOption = None,
) -> None:
    """Load-test URL and report TTFT, TPOT, ITL, E2E, throughput and goodput (vLLM definitions)."""
    settings = settings_from(config)
    if arrival not in ("poisson", "constant") or endpoint not in ("chat", "completions"):
        raise ConfigError("--arrival is poisson or constant; --endpoint is chat or completions")
    cfg = settings.bench.slo
    slo = SLO(
        ttft_ms=slo_ttft_ms if slo_ttft_ms is not None else cfg.ttft_ms,
        tpot_ms=slo_tpot_ms if slo_tpot_ms is not None else cfg.tpot_ms,
        e2e_ms=slo_e2e_ms if slo_e2e_ms is not None else cfg.e2e_ms,
    )
    prompts = (
        load_prompts(dataset, output_tokens)
        if dataset
        else synthetic_prompts(num_prompts, input_tokens, output_tokens, seed)
    )
    ep = Endpoint(
        url,
        model,
        api_key=api_key,
        stream=stream,
        kind=endpoint,  # type: ignore[arg-type]
        extra_body={"ignore_eos": True} if ignore_eos else {},
    )
    price = resolve_gpu_price(
        settings,
        label=label or model,
        model=model,
        usd_per_hour=gpu_usd_per_hour,
        gpu_type=gpu_type,
        gpu_count=gpu_count,
        pricing=gpu_pricing,
    )
    lag = settings.bench.max_client_lag_ms
    if do_sweep:
        step_s = duration or 10.0
        base = LoadShape(
            rate=sweep_start,
            arrival=arrival,  # type: ignore[arg-type]
            concurrency=concurrency,
            duration_s=step_s,
            seed=seed,
        )

        def run_at(r: float) -> dict[str, Any]:
            return run_benchmark(
                ep,
                prompts,
                with_rate(base, r),
                slo,
                label=label,
                max_client_lag_ms=lag,
                gpu_usd_per_hour=price,
            )

        def on_step(r: float, doc: dict[str, Any], verdict: str) -> None:
            s = doc["summary"]
            err_console.print(
                f"rate {r:8.2f} req/s  good {s['good_fraction'] * 100:5.1f}%  "
                f"E2E p99 {_fmt(s['e2e_ms']['p99'])} ms  {verdict}"
            )

        result = sweep(run_at, sweep_start, max_rate=sweep_max, min_good=sweep_min_good, on_step=on_step)
        if result["best"] is None:
            raise ConfigError(f"even {sweep_start:g} req/s misses the SLOs; lower --sweep-start or relax the SLOs")
        doc = result["best"]
        doc["sweep"] = {k: v for k, v in result.items() if k != "best"}
        console.print(
            f"max sustainable rate: [bold]{result['max_sustainable_rate']:.2f} req/s[/] "
            f"({sweep_min_good * 100:g}% of requests within SLO)"
        )
    else:
        shape = LoadShape(
            rate=rate,
            arrival=arrival,  # type: ignore[arg-type]
            concurrency=concurrency,
            requests=requests,
            duration_s=duration,
            seed=seed,
        )
        with _progress() as progress:
            task = progress.add_task("starting", total=requests)
            doc = run_benchmark(
                ep,
                prompts,
                shape,
                slo,
                label=label,
                max_client_lag_ms=lag,
                gpu_usd_per_hour=price,
                progress=_Throttled(progress, task),
            )
    _print_summary(doc)
    if out:
        write_json(doc, out)
        console.print(f"wrote {out}")
    if csv_out:
        write_csv(doc, csv_out)
        console.print(f"wrote {csv_out}")
    if save:
        with open_cli_store(settings) as store:
            BenchRepository(store).save(doc)
        console.print(f"recorded bench run {doc['id']}")
    if doc["summary"]["completed"] == 0:
        raise ConfigError(f"every request failed ({doc['summary']['errors']}); check the URL, model and key")


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise ConfigError(f"{what} takes LABEL=VALUE, got {v!r}")
        k, _, val = v.partition("=")
        out[k] = val
    return out


def _load_variant(ref: str, settings: Settings) -> dict[str, Any]:
    path = Path(ref)
    if path.exists():
        return load_document(path)
    try:
        with open_cli_store(settings) as store:
            return BenchRepository(store).get(ref)
    except NotFoundError:
        raise ConfigError(f"{ref} is neither a result file nor a recorded bench run id") from None


@bench_app.command("compare")
@friendly_errors
def bench_compare(
    results: Annotated[list[str], typer.Argument(help="result JSON files (or stored run ids); first = baseline")],
    eval_run: Annotated[list[str], typer.Option("--eval", help="LABEL=RUN|TAG: accuracy from an eval run")] = [],  # noqa: B006
    accuracy: Annotated[list[str], typer.Option(help="LABEL=0.83: accuracy given directly")] = [],  # noqa: B006
    max_accuracy_drop: Annotated[float, typer.Option(help="largest accuracy drop accepted (fraction)")] = 0.02,
    p99_ms: Annotated[float | None, typer.Option(help="p99 bar (default slo.chat_p99_ms)")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="write a chart page here")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write the table as CSV here")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the comparison as JSON here")] = None,
    config: ConfigOption = None,
) -> None:
    """Put variants side by side and give the verdict under the guide's serving rules."""
    settings = settings_from(config)
    docs = [_load_variant(r, settings) for r in results]
    acc = {k: float(v) for k, v in _pairs(accuracy, "--accuracy").items()}
    if eval_run:
        with open_cli_store(settings) as store:
            repo = EvalRepository(store)
            for lbl, ref in _pairs(eval_run, "--eval").items():
                acc[lbl] = float(repo.resolve(ref)["aggregates"]["overall"]["mean"])
    result = compare(
        docs, p99_bar_ms=p99_ms or settings.slo.chat_p99_ms, accuracy=acc, max_accuracy_drop=max_accuracy_drop
    )
    t = Table(title=f"bench compare (p99 bar {result['p99_bar_ms']:g} ms)")
    for col in (
        "variant",
        "TTFT p50",
        "TPOT p50",
        "E2E p50",
        "E2E p99",
        "out tok/s",
        "goodput",
        "$/1M tok",
        "accuracy",
        "Δacc (pts)",
        "p99 ok",
    ):
        t.add_column(col, justify="right")
    for r in result["variants"]:
        delta = None if r["accuracy_delta"] is None else r["accuracy_delta"] * 100
        t.add_row(
            r["label"],
            _fmt(r["ttft_p50_ms"]),
            _fmt(r["tpot_p50_ms"]),
            _fmt(r["p50_ms"]),
            _fmt(r["p99_ms"]),
            _fmt(r["output_tps"]),
            _fmt(r["goodput"], 2),
            _fmt(r["cost_per_1m"], 3),
            _fmt(r["accuracy"], 3),
            _fmt(delta),
            "yes" if r["meets_p99"] else "[red]no[/]",
        )
    console.print(t)
    console.print(f"[bold]verdict:[/] {result['verdict']}", highlight=False)
    for note in result["notes"]:
        console.print(f"note: {note}", highlight=False)
    if html_out:
        html_out.write_text(render_html(result), encoding="utf-8")
        console.print(f"wrote {html_out}")
    if csv_out:
        csv_out.write_text(compare_csv(result), encoding="utf-8")
        console.print(f"wrote {csv_out}")
    if json_out:
        write_json(result, json_out)
        console.print(f"wrote {json_out}")


@bench_app.command("list")
@friendly_errors
def bench_list(
    model: Annotated[str | None, typer.Option(help="only this model")] = None,
    limit: Annotated[int, typer.Option()] = 20,
    config: ConfigOption = None,
) -> None:
    """Recorded bench runs, newest first."""
    with open_cli_store(settings_from(config)) as store:
        rows = BenchRepository(store).recent(model, limit)
    t = Table()
    for col in ("id", "label", "model", "ok", "req/s", "E2E p50", "E2E p99", "lag p99"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            r["id"][:12],
            r["label"],
            r["model"],
            str(r["completed"]),
            _fmt(r["request_throughput"], 2),
            _fmt(r["e2e_p50_ms"]),
            _fmt(r["e2e_p99_ms"]),
            _fmt(r["client_lag_p99_ms"]),
        )
    console.print(t)
