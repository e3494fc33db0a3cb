"""``seedstack gpu import|agent|usage|prune``, ``seedstack cost prices|plan|import-bill|job|jobs``
and ``seedstack advise``: the compute and cost advisor on the command line."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import orjson
import typer
from rich.table import Table

from ..cost.billing import import_bill
from ..cost.catalog import PRICINGS, PriceCatalog, normalize_gpu
from ..cost.gpu_agent import open_sampler, run_agent
from ..cost.gpu_batch import ENGINE_ACTIVE, SampleBatch
from ..cost.gpu_parsers import parse_file
from ..cost.gpu_store import BP, MISSING, ingest, load_window, prune_minutes
from ..cost.ledger import end_job, list_jobs, record_job
from ..cost.planner import PlanRequest, plan
from ..cost.rules import run_rules
from ..errors import InvalidRequestError
from ._common import ConfigOption, console, err_console, friendly_errors, open_cli_store, settings_from

__all__ = ["advise", "cost_app", "gpu_app", "mount"]

gpu_app = typer.Typer(
    help="GPU telemetry: import logs and scrapes, run the sampling agent.", no_args_is_help=True
)
cost_app = typer.Typer(help="Prices, the scenario planner, bills and the job ledger.", no_args_is_help=True)
job_app = typer.Typer(help="The job ledger: GPU time bought, for what, at what price.", no_args_is_help=True)
cost_app.add_typer(job_app, name="job")

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


def mount(app: typer.Typer) -> None:
    app.add_typer(gpu_app, name="gpu")
    app.add_typer(cost_app, name="cost")
    app.command("advise")(advise)


def _dump(obj: Any) -> None:
    typer.echo(orjson.dumps(obj, default=str, option=orjson.OPT_INDENT_2).decode())


def _when(value: str | None) -> float | None:
    """ISO 8601 (naive means UTC), 'now', or unix seconds."""
    if value is None:
        return None
    if value == "now":
        return time.time()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequestError(
            f"cannot read the time '{value}': use ISO 8601 like 2026-11-01T18:00"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()


def _date(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


# --- gpu ---------------------------------------------------------------------------------------


@gpu_app.command("import")
@friendly_errors
def gpu_import(
    files: Annotated[
        list[Path], typer.Argument(help="nvidia-smi CSV logs, dcgm-exporter scrapes, Prometheus JSON")
    ],
    fmt: Annotated[str, typer.Option("--format", help="auto, nvidia-smi, dcgm or prom-json")] = "auto",
    node: Annotated[
        str | None, typer.Option(help="node name (default: Hostname label, else the file name)")
    ] = None,
    at: Annotated[str | None, typer.Option(help="scrape time of DCGM samples without timestamps")] = None,
    metric: Annotated[str | None, typer.Option(help="metric name of a Prometheus expression result")] = None,
    config: ConfigOption = None,
) -> None:
    """Import GPU telemetry files into the store at 1-minute resolution."""
    t0 = time.perf_counter()
    batch = SampleBatch.concat(parse_file(f, fmt, node=node, at=_when(at), metric=metric) for f in files)
    with open_cli_store(settings_from(config)) as store:
        report = ingest(store, batch)
    console.print(
        f"imported {report.samples:,} samples from {len(files)} file(s): {report.devices} GPUs, "
        f"{report.minutes:,} GPU-minutes in {report.gpu_hours:,} GPU-hours, "
        f"{_date(report.start_ts)} to {_date(report.end_ts)} UTC ({time.perf_counter() - t0:.1f} s)",
        highlight=False,
    )
    for name, n in sorted(report.metrics.items()):
        why = (
            "engine busy time (preferred)" if name == ENGINE_ACTIVE else "only 'a kernel ran': overstates use"
        )
        console.print(f"  activity from {name} on {n} GPU(s): {why}", highlight=False)


@gpu_app.command("agent")
@friendly_errors
def gpu_agent(
    source: Annotated[str, typer.Option(help="auto (NVML, else nvidia-smi), nvml or nvidia-smi")] = "auto",
    node: Annotated[str | None, typer.Option(help="node name (default: this host's name)")] = None,
    interval: Annotated[float, typer.Option(min=0.1, help="seconds between samples")] = 10.0,
    flush: Annotated[float, typer.Option(min=0, help="seconds between writes to the store")] = 60.0,
    once: Annotated[bool, typer.Option("--once", help="take one sample, write it and exit")] = False,
    config: ConfigOption = None,
) -> None:
    """Sample every GPU on this node and ship the samples to the store (Ctrl-C stops)."""
    sampler = open_sampler(source, node)
    with open_cli_store(settings_from(config)) as store:
        taken = run_agent(
            store,
            sampler,
            interval_s=interval,
            flush_every_s=flush,
            max_samples=1 if once else None,
            on_flush=lambda r: err_console.print(
                f"wrote {r.samples} samples from {r.devices} GPUs", highlight=False
            ),
        )
    console.print(f"took {taken} sample round(s)", highlight=False)


@gpu_app.command("usage")
@friendly_errors
def gpu_usage(
    days: Annotated[int, typer.Option(min=1, max=366, help="window, days back from now")] = 28,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Engine-active share and idle minutes per GPU over the window."""

    settings = settings_from(config)
    now = int(time.time())
    with open_cli_store(settings) as store:
        win = load_window(store, now - days * 86400, now + 60)  # include the current minute
    idle_bp = round(settings.cost.idle_engine_active * BP)
    rows: list[dict[str, Any]] = []
    for d, a in zip(win.devices, win.active, strict=True):
        have = a != MISSING
        n = int(have.sum())
        rows.append(
            {
                "node": d.node,
                "gpu": d.gpu,
                "model": d.model,
                "metric": d.metric,
                "reported_hours": n / 60,
                "engine_active": float(np.where(have, a, 0).sum()) / BP / n if n else None,
                "idle_hours": int((have & (a < idle_bp)).sum()) / 60,
            }
        )
    if as_json:
        _dump(rows)
        return
    t = Table(title=f"GPU activity, last {days} days")
    for c in ("node", "gpu", "model", "reported h", "engine-active", "idle h", "metric"):
        t.add_column(c)
    for r in rows:
        t.add_row(
            r["node"],
            r["gpu"],
            r["model"] or "-",
            f"{r['reported_hours']:,.1f}",
            f"{r['engine_active']:.1%}" if r["engine_active"] is not None else "-",
            f"{r['idle_hours']:,.1f}",
            r["metric"],
        )
    console.print(t)


@gpu_app.command("prune")
@friendly_errors
def gpu_prune(
    keep_days: Annotated[int, typer.Option(min=1, help="keep per-minute values this many days")] = 35,
    config: ConfigOption = None,
) -> None:
    """Downsample older telemetry to its hourly rollups (means and idle minutes stay)."""
    with open_cli_store(settings_from(config)) as store:
        n = prune_minutes(store, int(time.time()) - keep_days * 86400)
    console.print(f"downsampled {n:,} GPU-hours to hourly rollups", highlight=False)


# --- cost ----------------------------------------------------------------------------------------


@cost_app.command("prices")
@friendly_errors
def cost_prices(
    gpu: Annotated[str | None, typer.Option(help="H100, H200, B200, A100-80GB, L4 or A10G")] = None,
    pricing: Annotated[str | None, typer.Option(help="on-demand, reserved, spot or serverless")] = None,
    provider: Annotated[
        str | None, typer.Option(help="aws, gcp, azure, lambda, coreweave, runpod, modal, …")
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The GPU price catalog: USD per GPU-hour with its source and date."""
    cfg = settings_from(config).cost
    today = dt.date.today()
    cat = PriceCatalog.from_config(cfg, today=today)
    rows = cat.find(gpu, pricing, provider)
    if gpu and not rows:
        raise InvalidRequestError(
            f"no prices for '{gpu}': the catalog has {', '.join(sorted({r.gpu for r in cat.rows}))}"
        )
    if as_json:
        _dump(
            [
                {
                    "gpu": r.gpu,
                    "provider": r.provider,
                    "pricing": r.pricing,
                    "usd_per_gpu_hour": r.usd_per_gpu_hour,
                    "source": r.source,
                    "as_of": r.as_of.isoformat(),
                    "region": r.region,
                    "note": r.note,
                }
                for r in rows
            ]
        )
    else:
        t = Table(title="GPU prices (USD per GPU-hour)")
        for c in ("gpu", "pricing", "provider", "$/GPU-h", "as of", "source / note"):
            t.add_column(c, justify="right" if c == "$/GPU-h" else "left")
        for r in rows:
            t.add_row(
                r.gpu,
                r.pricing,
                r.provider,
                f"{r.usd_per_gpu_hour:.2f}",
                r.as_of.isoformat(),
                f"{r.source}\n{r.note or ''}".strip(),
            )
        console.print(t)
    stale = [r for r in cat.stale_rows(today, cfg.stale_after_days) if r in rows]
    if stale:
        oldest = min(r.as_of for r in stale)
        err_console.print(
            f"[yellow]warning:[/] {len(stale)} of {len(rows)} prices are older than "
            f"{cfg.stale_after_days} days "
            f"(oldest {oldest.isoformat()}): check the sources and override them under "
            f"cost.prices in seedstack.yaml",
            highlight=False,
        )


@cost_app.command("plan")
@friendly_errors
def cost_plan(
    gpu: Annotated[str, typer.Option(help="GPU type, e.g. H100")] = "H100",
    count: Annotated[int, typer.Option(help="GPUs per run")] = 8,
    hours_per_run: Annotated[float, typer.Option(help="wall-clock hours per run")] = 8.0,
    runs_per_week: Annotated[float, typer.Option(help="runs per week")] = 3.0,
    provider: Annotated[str | None, typer.Option(help="take catalog prices from this provider")] = None,
    price: Annotated[
        list[str] | None, typer.Option(help="override a price: pricing=usd, e.g. reserved=1.5")
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Compare on-demand, reserved, spot and serverless for one recurring workload, with the arithmetic."""
    cfg = settings_from(config).cost
    cat = PriceCatalog.from_config(cfg)
    key = normalize_gpu(gpu) or gpu
    prices: dict[str, float] = {}
    sources: dict[str, str] = {}
    for p in PRICINGS:
        row = cat.price(key, p, provider)
        if row:
            prices[p], sources[p] = row.usd_per_gpu_hour, f"{row.provider} ({row.as_of.isoformat()})"
    for item in price or []:
        name, _, value = item.partition("=")
        if name not in PRICINGS:
            raise InvalidRequestError(
                f"--price {item}: use pricing=usd with pricing one of {', '.join(PRICINGS)}"
            )
        try:
            prices[name], sources[name] = float(value), "--price"
        except ValueError:
            raise InvalidRequestError(f"--price {item}: '{value}' is not a number") from None
    req = PlanRequest(
        key, count, hours_per_run, runs_per_week, prices, cfg.hours_per_month, cfg.spot_interruption_overhead
    )
    lines = plan(req)
    if as_json:
        _dump(
            [
                {
                    "option": x.option,
                    "pricing": x.pricing,
                    "usd_per_gpu_hour": x.usd_per_gpu_hour,
                    "gpu_hours": x.gpu_hours,
                    "usd_per_month": x.usd_per_month,
                    "arithmetic": x.arithmetic,
                    "note": x.note,
                    "price_source": sources.get(x.pricing),
                }
                for x in lines
            ]
        )
        return
    best = min(
        (x for x in lines if x.usd_per_month is not None), key=lambda x: x.usd_per_month or 0, default=None
    )
    t = Table(
        title=f"{count}x {key}, {hours_per_run:g} h x {runs_per_week:g} runs/week "
        f"({req.run_hours_per_month:,.1f} h/month of {cfg.hours_per_month:g})"
    )
    for c in ("option", "$/GPU-h", "GPU-h/month", "$/month", "price from", "note"):
        t.add_column(c, justify="right" if c.startswith(("$", "GPU")) else "left")
    for x in lines:
        mark = " (cheapest)" if x is best else ""
        t.add_row(
            x.option + mark,
            f"{x.usd_per_gpu_hour:.2f}" if x.usd_per_gpu_hour is not None else "-",
            f"{x.gpu_hours:,.1f}",
            f"{x.usd_per_month:,.0f}" if x.usd_per_month is not None else "-",
            sources.get(x.pricing, "-"),
            x.note,
        )
    console.print(t)
    console.print("arithmetic:", highlight=False)
    for x in lines:
        console.print(f"  {x.option}: {x.arithmetic}", highlight=False, soft_wrap=True)


@cost_app.command("import-bill")
@friendly_errors
def cost_import_bill(
    file: Annotated[
        Path, typer.Argument(help="AWS CUR (CSV/Parquet), GCP billing export CSV or FOCUS 1.x CSV")
    ],
    fmt: Annotated[str, typer.Option("--format", help="auto, aws-cur, gcp or focus")] = "auto",
    config: ConfigOption = None,
) -> None:
    """Import a cloud bill, normalized to FOCUS-like rows with data transfer classified."""
    with open_cli_store(settings_from(config)) as store:
        imp = import_bill(store, file, fmt)
    share = sum(imp.transfer_usd.values()) / imp.total_usd if imp.total_usd else 0.0
    console.print(
        f"imported {imp.rows:,} {imp.format} lines (${imp.total_usd:,.2f}); data transfer {share:.1%} of it",
        highlight=False,
    )
    for kind, usd in sorted(imp.transfer_usd.items(), key=lambda kv: -kv[1]):
        console.print(f"  {kind}: ${usd:,.2f}", highlight=False)


@job_app.command("add")
@friendly_errors
def job_add(
    name: Annotated[str, typer.Argument(help="what the job is, e.g. nightly-finetune")],
    kind: Annotated[str, typer.Option(help="training, fine-tuning, inference or reservation")] = "training",
    start: Annotated[str, typer.Option(help="ISO 8601 start (UTC if no offset) or 'now'")] = "now",
    end: Annotated[str | None, typer.Option(help="ISO 8601 end; omit while it runs")] = None,
    gpu: Annotated[str, typer.Option(help="GPU type")] = "H100",
    count: Annotated[int, typer.Option(help="number of GPUs")] = 1,
    provider: Annotated[str, typer.Option(help="aws, gcp, lambda, …")] = "aws",
    pricing: Annotated[str, typer.Option(help="on-demand, reserved, spot or serverless")] = "on-demand",
    usd_per_gpu_hour: Annotated[
        float | None, typer.Option(help="actual price (default: the catalog's)")
    ] = None,
    node: Annotated[
        list[str] | None, typer.Option(help="host the job ran on (repeat); joins telemetry")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Record a job in the ledger."""
    with open_cli_store(settings_from(config)) as store:
        job = record_job(
            store,
            name=name,
            kind=kind,
            start_ts=_when(start) or time.time(),
            end_ts=_when(end),
            gpu_type=gpu,
            gpu_count=count,
            provider=provider,
            pricing=pricing,
            usd_per_gpu_hour=usd_per_gpu_hour,
            nodes=node or [],
        )
    console.print(
        f"recorded job {job.id}: {job.gpu_count}x {job.gpu_type} {job.pricing} on {job.provider}",
        highlight=False,
    )


@job_app.command("end")
@friendly_errors
def job_end(
    job_id: Annotated[str, typer.Argument(help="the job id from `seedstack cost job add`")],
    at: Annotated[str, typer.Option(help="ISO 8601 end or 'now'")] = "now",
    config: ConfigOption = None,
) -> None:
    """Mark a running job as finished."""
    with open_cli_store(settings_from(config)) as store:
        job = end_job(store, job_id, _when(at) or time.time())
    console.print(f"job {job.id} ended {_date(job.end_ts)} UTC", highlight=False)


@job_app.command("list")
@friendly_errors
def job_list(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """List the job ledger."""
    with open_cli_store(settings_from(config)) as store:
        jobs = list_jobs(store)
    if as_json:
        _dump([j.to_dict() for j in jobs])
        return
    t = Table(title="GPU jobs")
    for c in ("id", "name", "kind", "start", "end", "GPUs", "provider", "pricing", "$/GPU-h", "nodes"):
        t.add_column(c)
    for j in jobs:
        t.add_row(
            j.id,
            j.name,
            j.kind,
            _date(j.start_ts),
            _date(j.end_ts) if j.end_ts else "running",
            f"{j.gpu_count}x {j.gpu_type}",
            j.provider,
            j.pricing,
            f"{j.usd_per_gpu_hour:.2f}" if j.usd_per_gpu_hour is not None else "catalog",
            ",".join(j.nodes),
        )
    console.print(t)


# --- advise --------------------------------------------------------------------------------------


@friendly_errors
def advise(
    as_json: JsonOption = False,
    now: Annotated[str | None, typer.Option(help="evaluate as of this time (ISO 8601); default: now")] = None,
    config: ConfigOption = None,
) -> None:
    """Run the guide's five rules on your own data: verdict, evidence and $ per month."""
    settings = settings_from(config)
    with open_cli_store(settings) as store:
        results = run_rules(store, settings, now=_when(now))
    if as_json:
        _dump([r.to_dict() for r in results])
        return
    t = Table(title="seedstack advise")
    for c in ("rule", "verdict", "$/month", "finding", "do this"):
        t.add_column(c, justify="right" if c == "$/month" else "left")
    for r in results:
        colour = "red" if r.act else ("dim" if r.verdict == "no-data" else "green")
        usd = "-" if r.usd_per_month is None else f"{r.usd_per_month:,.0f}"
        t.add_row(r.title, f"[{colour}]{r.verdict}[/]", usd, r.summary, r.recommendation)
    console.print(t)
    for r in results:
        note = r.evidence.get("metric_note")
        if note:
            err_console.print(f"[yellow]note:[/] {note}", highlight=False)
            break
