"""``seedstack eval …``: run eval suites through the gateway and gate regressions in CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..bench import write_json
from ..errors import ConfigError, StoreError
from ..evals import EvalRepository, JudgeClient, gate, junit_xml, load_suite, run_suite_sync
from ._common import ConfigOption, console, err_console, friendly_errors, open_cli_store, settings_from

__all__ = ["eval_app", "parse_drop"]

eval_app = typer.Typer(help="Run eval suites and gate regressions in CI.", no_args_is_help=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def parse_drop(text: str) -> float:
    """'2%' and '2' mean two points; '0.02' means the same as a fraction."""
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise ConfigError(f"--max-drop takes a percentage like 2% (got {text!r})") from None
    return value / 100 if text.endswith("%") or value >= 1 else value


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


@eval_app.command("run")
@friendly_errors
def eval_run_cmd(
    suite_path: Annotated[Path, typer.Argument(help="suite .yaml or .jsonl")],
    model: Annotated[str, typer.Option("--model", "-m", help="model alias to evaluate")],
    tag: Annotated[str | None, typer.Option(help="name this run (a gate baseline), e.g. main or v1.3")] = None,
    only_tag: Annotated[list[str], typer.Option("--case-tag", help="only cases with this tag")] = [],  # noqa: B006
    base_url: Annotated[str | None, typer.Option(help="gateway URL (default evals.base_url)")] = None,
    api_key: Annotated[str | None, typer.Option(help="gateway key (default evals.api_key)")] = None,
    judge_model: Annotated[str | None, typer.Option("--judge", help="judge alias (default evals.judge.model)")] = None,
    model_version: Annotated[str | None, typer.Option(help="registry version evaluated (default: resolved)")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write aggregates and cases as JSON")] = None,
    config: ConfigOption = None,
) -> None:
    """Score every case through the gateway; store per-case results and bootstrap 95% CIs."""
    settings = settings_from(config)
    cfg = settings.evals
    suite = load_suite(suite_path)
    key = api_key or _secret(cfg.api_key)
    with open_cli_store(settings) as store:
        repo = EvalRepository(store)
        judge = JudgeClient(
            cfg.judge.base_url,
            judge_model or cfg.judge.model,
            api_key=_secret(cfg.judge.api_key) or key,
            timeout_s=cfg.judge.timeout_s,
            max_tokens=cfg.judge.max_tokens,
            cache=repo,
        )
        version = model_version or _registry_version(store, model)
        with _progress() as progress:
            task = progress.add_task(f"{suite.name} on {model}", total=None)
            run = run_suite_sync(
                suite,
                base_url=base_url or cfg.base_url,
                model=model,
                api_key=key,
                judge=judge,
                tags=only_tag or None,
                run_tag=tag,
                model_version=version,
                concurrency=cfg.concurrency,
                bootstrap_samples=cfg.bootstrap_samples,
                progress=lambda d, n: progress.update(task, completed=d, total=n),
            )
        repo.save_run(run)
    _print_aggregates(run.aggregates)
    console.print(f"recorded eval run {run.id} ({len(run.outcomes)} cases, judge calls {judge.calls})")
    if run.aggregates["errors"]:
        err_console.print(f"[yellow]warning:[/] {run.aggregates['errors']} case(s) failed to run; they score 0")
    if json_out:
        write_json(
            {
                "id": run.id,
                "suite": run.suite,
                "model": run.model,
                "model_version": run.model_version,
                "tag": run.tag,
                "aggregates": run.aggregates,
                "cases": [
                    {
                        "id": o.case_id,
                        "output": o.output,
                        "error": o.error,
                        "scores": {k: s.score for k, s in o.scores.items()},
                    }
                    for o in run.outcomes
                ],
            },
            json_out,
        )


def _registry_version(store: Any, alias: str) -> str | None:
    """NAME@VERSION the registry says serves ``alias``; ``None`` when none is registered."""
    try:
        from ..registry.lineage import version_for_backend
    except ImportError:  # the registry is optional for evals
        return None
    try:
        return version_for_backend(store, alias)
    except StoreError:
        return None


def _print_aggregates(agg: dict[str, Any]) -> None:
    t = Table(title="eval scores (mean, bootstrap 95% CI)")
    for col in ("metric", "mean", "95% CI", "n"):
        t.add_column(col)
    o = agg["overall"]
    rows = [("overall", o)] + list(agg["scorers"].items()) + [(f"tag:{k}", v) for k, v in agg["tags"].items()]
    for name, s in rows:
        t.add_row(name, f"{s['mean']:.3f}", f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}]", str(s["n"]))
    console.print(t)


@eval_app.command("gate")
@friendly_errors
def eval_gate_cmd(
    baseline: Annotated[str, typer.Option(help="baseline run id or tag")],
    run: Annotated[str | None, typer.Option(help="candidate run id or tag (default: the newest run)")] = None,
    max_drop: Annotated[str, typer.Option(help="largest tolerated drop, e.g. 2%")] = "2%",
    alpha: Annotated[float, typer.Option(help="significance level of the paired test")] = 0.05,
    junit: Annotated[Path | None, typer.Option(help="write JUnit XML here for CI")] = None,
    config: ConfigOption = None,
) -> None:
    """Exit 1 when a score drops by more than --max-drop with statistical confidence."""
    settings = settings_from(config)
    drop = parse_drop(max_drop)
    with open_cli_store(settings) as store:
        repo = EvalRepository(store)
        cand = repo.resolve(run) if run else repo.latest()
        base = repo.resolve(baseline, suite=cand["suite"], exclude=cand["id"])
        result = gate(
            repo.case_scores(base["id"]),
            repo.case_scores(cand["id"]),
            max_drop=drop,
            alpha=alpha,
            samples=settings.evals.bootstrap_samples,
        )
    if base["suite_hash"] != cand["suite_hash"]:
        result.notes.append("the suite changed between the runs; only shared cases are compared")
    t = Table(title=f"gate: {cand['id'][:12]} ({cand['model']}) vs baseline {base['id'][:12]} ({base['model']})")
    for col in ("metric", "baseline", "candidate", "Δ (pts)", "95% CI (pts)", "p", "result"):
        t.add_column(col)
    for c in result.checks:
        t.add_row(
            c.metric,
            f"{c.baseline:.3f}",
            f"{c.candidate:.3f}",
            f"{c.delta * 100:+.2f}",
            f"[{c.ci_low * 100:+.2f}, {c.ci_high * 100:+.2f}]",
            f"{c.p_value:.4f}",
            "[red]REGRESSION[/]" if c.failed else "ok",
        )
    console.print(t)
    if result.flipped_worse:
        console.print(
            f"cases that now fail ({len(result.flipped_worse)}): {', '.join(result.flipped_worse)}",
            highlight=False,
        )
    if result.flipped_better:
        console.print(
            f"cases that now pass ({len(result.flipped_better)}): {', '.join(result.flipped_better)}",
            highlight=False,
        )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    if junit:
        junit.write_text(junit_xml(result), encoding="utf-8")
        console.print(f"wrote {junit}")
    if result.failed:
        err_console.print(
            f"[bold red]gate failed:[/] a score dropped by more than {drop * 100:g} points (p < {alpha:g})"
        )
        raise typer.Exit(1)
    console.print("gate passed")


@eval_app.command("list")
@friendly_errors
def eval_list(limit: Annotated[int, typer.Option()] = 20, config: ConfigOption = None) -> None:
    """Recorded eval runs, newest first."""
    with open_cli_store(settings_from(config)) as store:
        rows = EvalRepository(store).list_runs(limit)
    t = Table()
    for col in ("id", "suite", "model", "version", "tag", "cases", "overall"):
        t.add_column(col)
    for r in rows:
        overall = orjson.loads(r["aggregates"])["overall"]["mean"]
        t.add_row(
            r["id"][:12],
            r["suite"],
            r["model"],
            r["model_version"] or "-",
            r["tag"] or "-",
            str(r["n_cases"]),
            f"{overall:.3f}",
        )
    console.print(t)
