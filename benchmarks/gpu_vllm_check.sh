#!/usr/bin/env bash
# Real-endpoint check for `seedstack bench`: serve a small model with vLLM on one NVIDIA GPU, in fp16
# and then FP8 (quantized on the fly), run `seedstack bench run` on each and `bench compare` on both.
#
# No weights are downloaded: the model is a tiny Llama config written here plus a tokenizer trained
# here (benchmarks/make_local_model.py), served with vLLM's `--load-format dummy` (random weights,
# real kernels, real latency). Only the vllm package has to be installable: from PyPI, or offline
# from a wheel directory given as VLLM_WHEELHOUSE=/path/to/wheels.
#
# Usage (from the repository root):  bash benchmarks/gpu_vllm_check.sh
# Env knobs: OUT (results dir, default ./gpu-check-results), PORT (8011), RATE (20), REQUESTS (300),
#            GPU_USD_PER_HOUR (2.49), SEEDSTACK (seedstack CLI; default .venv/bin/seedstack or PATH),
#            VLLM_PY (python with vllm; default: a venv created at .bench-venvs/vllm).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-check-results}"
PORT="${PORT:-8011}"
RATE="${RATE:-20}"
REQUESTS="${REQUESTS:-300}"
GPU_USD_PER_HOUR="${GPU_USD_PER_HOUR:-2.49}"
MODEL_DIR="$OUT/tiny-llama"
mkdir -p "$OUT"
log() { printf '[gpu-check %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command -v nvidia-smi >/dev/null || { log "no nvidia-smi: this script needs an NVIDIA GPU"; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"

# 1. vllm, in its own venv so its pinned torch never meets seedstack's dependencies.
if [[ -z "${VLLM_PY:-}" ]]; then
  VENV="$ROOT/.bench-venvs/vllm"
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import vllm" 2>/dev/null; then
    log "installing vllm into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    if [[ -n "${VLLM_WHEELHOUSE:-}" ]]; then
      "$VENV/bin/pip" install -q --no-index --find-links "$VLLM_WHEELHOUSE" vllm
    else
      "$VENV/bin/pip" install -q vllm
    fi
  fi
  VLLM_PY="$VENV/bin/python"
fi
"$VLLM_PY" -c "import vllm, sys; print('vllm', vllm.__version__, file=sys.stderr)"

# 2. seedstack CLI (the load generator under test).
if [[ -z "${SEEDSTACK:-}" ]]; then
  if [[ -x "$ROOT/.venv/bin/seedstack" ]]; then SEEDSTACK="$ROOT/.venv/bin/seedstack"
  elif command -v seedstack >/dev/null; then SEEDSTACK="$(command -v seedstack)"
  else
    log "installing seedstack into $ROOT/.bench-venvs/seedstack"
    python3 -m venv "$ROOT/.bench-venvs/seedstack"
    "$ROOT/.bench-venvs/seedstack/bin/pip" install -q -e "$ROOT"
    SEEDSTACK="$ROOT/.bench-venvs/seedstack/bin/seedstack"
  fi
fi
export SEEDSTACK_HOME="$OUT/seedstack-home"   # results are also recorded in this embedded store

# 3. A tiny Llama config and a locally trained tokenizer (no download).
"$VLLM_PY" "$ROOT/benchmarks/make_local_model.py" "$MODEL_DIR" --model-config --vocab 8000

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT

serve_and_bench() {  # $1 = label, rest = extra vllm serve flags
  local label="$1"; shift
  log "serving $label"
  "$VLLM_PY" -m vllm.entrypoints.openai.api_server --model "$MODEL_DIR" --served-model-name "$label" \
    --load-format dummy --dtype float16 --max-model-len 2048 --gpu-memory-utilization 0.6 \
    --port "$PORT" "$@" > "$OUT/vllm-$label.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then log "vllm exited; see $OUT/vllm-$label.log"; tail -30 "$OUT/vllm-$label.log"; exit 1; fi
    sleep 2
  done
  curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null || { log "vllm did not come up in 600 s"; exit 1; }
  # warm-up (CUDA graphs, allocator), not recorded
  "$SEEDSTACK" bench run "http://127.0.0.1:$PORT/v1" --model "$label" --concurrency 4 --requests 20 \
    --ignore-eos --input-tokens 128 --output-tokens 64 --no-save > /dev/null
  log "benchmarking $label at $RATE req/s"
  COLUMNS=160 "$SEEDSTACK" bench run "http://127.0.0.1:$PORT/v1" --model "$label" --label "$label" \
    --rate "$RATE" --arrival poisson --requests "$REQUESTS" --ignore-eos --input-tokens 128 --output-tokens 64 \
    --gpu-type H100 --gpu-usd-per-hour "$GPU_USD_PER_HOUR" \
    --out "$OUT/$label.json" --csv "$OUT/$label.csv" | tee "$OUT/$label.txt"
  stop_server
}

serve_and_bench tiny-llama-fp16
serve_and_bench tiny-llama-fp8 --quantization fp8

COLUMNS=160 "$SEEDSTACK" bench compare "$OUT/tiny-llama-fp16.json" "$OUT/tiny-llama-fp8.json" \
  --html "$OUT/compare.html" --csv "$OUT/compare.csv" --json "$OUT/compare.json" | tee "$OUT/compare.txt"
log "done: results in $OUT"
