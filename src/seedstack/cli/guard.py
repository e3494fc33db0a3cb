"""``seedstack guard``: scan, redact and evaluate text with the guard engine, offline."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from ..errors import ConfigError
from ..guard import GuardEngine
from ..guard.evaluate import evaluate_rows, read_jsonl
from ..guard.normalize import to_text
from ._common import ConfigOption, friendly_errors, settings_from

__all__ = ["app"]

app = typer.Typer(help="Guardrails: scan, redact and evaluate text offline.", no_args_is_help=True)

_DETECTOR_NAMES = ("injection", "pii", "secrets", "leakage")


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    path = Path(file)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist; pass a file path or - for stdin") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory; pass a file path or - for stdin") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _engine(config: Path | None) -> GuardEngine:
    settings = settings_from(config)
    guard_cfg = getattr(settings, "guard", None)
    return GuardEngine.from_config(guard_cfg) if guard_cfg is not None else GuardEngine.default()


def _detectors(value: str | None) -> set[str] | None:
    if value is None:
        return None
    names = {d.strip() for d in value.split(",") if d.strip()}
    bad = sorted(names - set(_DETECTOR_NAMES))
    if bad:
        raise ConfigError(f"unknown detector(s) {bad}; choose from {', '.join(_DETECTOR_NAMES)}")
    return names


def _lines(data: bytes, field: str) -> list[tuple[dict | None, str]]:
    out: list[tuple[dict | None, str]] = []
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ConfigError(f"line {n} is not valid JSON (drop --jsonl to treat the input as plain text)") from None
        if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
            raise ConfigError(f'line {n} has no string field "{field}" (choose it with --field)')
        out.append((obj, obj[field]))
    return out


FileArg = Annotated[str, typer.Argument(help="a text file, or - for stdin")]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="the input is JSON lines; scan one field per line")]
FieldOpt = Annotated[str, typer.Option("--field", help="the JSONL field that holds the text")]


@app.command("scan")
@friendly_errors
def scan(
    file: FileArg = "-",
    channel: Annotated[str, typer.Option(help="user (typed prompt) or document (tool/retrieved content)")] = "user",
    detectors: Annotated[str | None, typer.Option(help="comma-separated: injection,pii,secrets,leakage")] = None,
    jsonl: JsonlOpt = False,
    field: FieldOpt = "text",
    config: ConfigOption = None,
) -> None:
    """Print findings as JSON lines (detector, type, offsets, score; never the matched text)."""
    if channel not in ("user", "document"):
        raise ConfigError("--channel must be user or document")
    engine = _engine(config)
    dets = _detectors(detectors)
    data = _read(file)
    items = _lines(data, field) if jsonl else [(None, to_text(data))]
    out = sys.stdout.buffer
    for n, (_, text) in enumerate(items, 1):
        for f in engine.scan(text, channel=channel, detectors=dets):
            rec = f.to_dict()
            rec["score"] = round(rec["score"], 4)
            if jsonl:
                rec = {"line": n, **rec}
            out.write(orjson.dumps(rec) + b"\n")
    out.flush()


@app.command("redact")
@friendly_errors
def redact(
    file: FileArg = "-",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
    mode: Annotated[
        str, typer.Option(help="placeholder (<EMAIL_1>) or hmac (stable keyed pseudonyms)")
    ] = "placeholder",
    key_env: Annotated[
        str, typer.Option(help="env var holding the HMAC key for --mode hmac")
    ] = "SEEDSTACK_GUARD_HMAC_KEY",
    detectors: Annotated[str, typer.Option(help="what to redact: pii,secrets")] = "pii,secrets",
    jsonl: JsonlOpt = False,
    field: FieldOpt = "text",
    config: ConfigOption = None,
) -> None:
    """Write the text with PII and secrets replaced by typed placeholders or keyed pseudonyms."""
    key: bytes | None = None
    if mode == "hmac":
        raw = os.environ.get(key_env)
        if not raw:
            raise ConfigError(f"--mode hmac needs a key: export {key_env}=<a long random string>")
        key = raw.encode()
    elif mode != "placeholder":
        raise ConfigError("--mode must be placeholder or hmac")
    engine = _engine(config)
    dets = _detectors(detectors) or set()
    data = _read(file)
    chunks: list[bytes] = []
    if jsonl:
        for obj, text in _lines(data, field):
            assert obj is not None
            obj[field] = engine.redact(text, engine.scan(text, detectors=dets), mode=mode, hmac_key=key)
            chunks.append(orjson.dumps(obj) + b"\n")
    else:
        text = to_text(data)
        chunks.append(engine.redact(text, engine.scan(text, detectors=dets), mode=mode, hmac_key=key).encode())
    blob = b"".join(chunks)
    if output is None:
        sys.stdout.buffer.write(blob)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(blob)


@app.command("eval")
@friendly_errors
def eval_(
    file: Annotated[str, typer.Argument(help='JSONL: {"text","label","channel"} or {"text","spans"} per line')],
    config: ConfigOption = None,
) -> None:
    """Precision, recall, F1 and accuracy per class and per entity type, and latency, as JSON."""
    rows = read_jsonl(_read(file).splitlines(), file)
    result = evaluate_rows(_engine(config), rows)
    sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
