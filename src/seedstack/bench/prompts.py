"""Where a benchmark's requests come from: a JSONL prompt set or synthetic prompts of a set length.

Synthetic prompts use distinct common words so that a BPE tokenizer sees roughly one token per
word; the exact prompt token count comes back in the server's ``usage`` when it reports one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError

__all__ = ["BenchPrompt", "load_prompts", "synthetic_prompts"]

_WORDS = (
    "time year people way day man thing woman life child world school state family student group "
    "country problem hand part place case week company system program question work government "
    "number night point home water room mother area money story fact month lot right study book eye "
    "job word business issue side kind head house service friend father power hour game line end "
    "member law car city community name president team minute idea kid body information back parent "
    "face others level office door health person art war history party result change morning reason "
    "research girl guy"
).split()


@dataclass(frozen=True, slots=True)
class BenchPrompt:
    """One request body's variable part: chat messages (or a completion prompt) and max_tokens."""

    messages: list[dict[str, Any]]
    max_tokens: int

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


def synthetic_prompts(n: int, input_tokens: int, output_tokens: int, seed: int = 0) -> list[BenchPrompt]:
    """``n`` distinct prompts of about ``input_tokens`` words, each asking for ``output_tokens``."""
    if input_tokens < 1 or output_tokens < 1:
        raise ConfigError("--input-tokens and --output-tokens must be at least 1")
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(_WORDS) for _ in range(max(1, input_tokens - 1))]
        out.append(BenchPrompt([{"role": "user", "content": f"{i} " + " ".join(words)}], output_tokens))
    return out


def load_prompts(path: Path, default_max_tokens: int) -> list[BenchPrompt]:
    """Read ``{"prompt": str}`` or ``{"messages": [...]}`` lines (optional ``max_tokens``) from JSONL."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read prompt set {path}: {exc.strerror}") from None
    prompts = []
    for no, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            item = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ConfigError(f"{path}:{no} is not valid JSON; each line must be one JSON object") from None
        if not isinstance(item, dict):
            raise ConfigError(f"{path}:{no} must be a JSON object with 'prompt' or 'messages'")
        if isinstance(item.get("messages"), list):
            messages = item["messages"]
        elif isinstance(item.get("prompt"), str):
            messages = [{"role": "user", "content": item["prompt"]}]
        else:
            raise ConfigError(f"{path}:{no} needs a 'prompt' string or a 'messages' list")
        max_tokens = item.get("max_tokens", item.get("output_tokens", default_max_tokens))
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ConfigError(f"{path}:{no}: max_tokens must be a positive integer")
        prompts.append(BenchPrompt(messages, max_tokens))
    if not prompts:
        raise ConfigError(f"{path} holds no prompts")
    return prompts
