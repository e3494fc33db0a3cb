"""Write a tokenizer trained locally (and, with --model-config, a tiny Llama config) to a directory.

Why: benchmark peers (GuideLLM) and vLLM's ``--load-format dummy`` need a Hugging Face tokenizer
directory, and nothing may be downloaded. A byte-level BPE trained in a second on generated English
text is enough for token counting and for real kernels on random weights.

    python benchmarks/make_local_model.py OUT_DIR [--model-config] [--vocab 8000]

Needs ``tokenizers`` and ``transformers`` (both come with GuideLLM and with vLLM).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

_WORDS = (  # noqa: SIM905
    "time year people way day man thing woman life child world school state family student group "
    "country problem hand part place case week company system program question work government "
    "number night point home water room mother area money story fact month lot right study book eye "
    "job word business issue side kind head house service friend father power hour game line end "
    "member law car city community name president team minute idea kid body information back parent "
    "face others level office door health person art war history party result change morning reason "
    "research girl guy model token latency cost the a an of to in and is was for on with as by at "
    "from that this it be are have has not but or"
).split()


def _corpus(lines: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 40))) + "." for _ in range(lines)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--model-config", action="store_true", help="also write a tiny Llama config.json")
    args = ap.parse_args()

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_corpus(20000), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.chat_template = (
        "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant: {% endif %}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(args.out))
    if args.model_config:
        vocab = ((len(fast) + 63) // 64) * 64
        config = {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": 1024,
            "intermediate_size": 2816,
            "num_hidden_layers": 8,
            "num_attention_heads": 16,
            "num_key_value_heads": 8,
            "head_dim": 64,
            "vocab_size": vocab,
            "max_position_embeddings": 4096,
            "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0,
            "hidden_act": "silu",
            "tie_word_embeddings": False,
            "torch_dtype": "float16",
            "bos_token_id": fast.bos_token_id,
            "eos_token_id": fast.eos_token_id,
        }
        (args.out / "config.json").write_text(json.dumps(config, indent=2))
        (args.out / "generation_config.json").write_text(
            json.dumps({"bos_token_id": fast.bos_token_id, "eos_token_id": fast.eos_token_id})
        )
    print(json.dumps({"out": str(args.out), "vocab": len(fast), "model_config": args.model_config}))


if __name__ == "__main__":
    main()
