"""Streaming output: split secrets and canaries are still caught; the added delay is reported."""

from __future__ import annotations

import pytest

from seedstack.config.guard import GuardPolicy
from seedstack.errors import GuardrailBlockedError
from seedstack.guard import GuardEngine

KEY = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t"


def _stream(scanner, chunks: list[str]) -> str:  # type: ignore[no-untyped-def]
    return "".join(scanner.feed(c) for c in chunks) + scanner.finish()


def test_secret_split_across_chunks_is_redacted(engine: GuardEngine) -> None:
    text = f"Your key is {KEY} and that is all you need to know about the setup."
    chunks = [text[i : i + 5] for i in range(0, len(text), 5)]
    scanner = engine.output_scanner(GuardPolicy(), system_prompt=None, restore=None)
    out = _stream(scanner, chunks)
    assert KEY not in out and "<OPENAI_KEY_1>" in out
    assert out == engine.check_output(text, GuardPolicy()).text
    v = {x.detector: x for x in scanner.verdicts}
    assert v["secrets"].action == "redact" and v["secrets"].types == {"OPENAI_KEY": 1}
    assert scanner.held_ms >= 0


def test_text_is_released_before_the_stream_ends(engine: GuardEngine) -> None:
    scanner = engine.output_scanner(GuardPolicy(hold_back_chars=16), system_prompt=None, restore=None)
    sentence = "Hello there, this is a long and harmless first sentence of the answer. "
    first = scanner.feed(sentence)
    assert first.startswith("Hello there") and len(first) < len(sentence)  # a small tail is held back
    assert first + scanner.feed("Bye.") + scanner.finish() == sentence + "Bye."


def test_canary_split_across_chunks_blocks_before_it_is_emitted() -> None:
    from seedstack.guard.injection import InjectionModel

    engine = GuardEngine(InjectionModel.load(), canaries=["CANARY-7f3a9-XYZ"])
    scanner = engine.output_scanner(GuardPolicy(), system_prompt=None, restore=None)
    emitted = scanner.feed("The internal marker is CANARY-7f")
    with pytest.raises(GuardrailBlockedError) as exc:
        emitted += scanner.feed("3a9-XYZ, do not share it.")
        scanner.finish()
    assert "CANARY" not in emitted
    assert exc.value.detector == "leakage"
    assert scanner.blocked == "leakage"
    assert {x.detector: x.action for x in scanner.verdicts}["leakage"] == "block"


def test_placeholder_split_across_chunks_is_restored(engine: GuardEngine) -> None:
    policy = GuardPolicy(pseudonymize=True)
    v = engine.check_input([{"role": "user", "content": "email ann@example.com"}], policy)
    scanner = engine.output_scanner(policy, system_prompt=None, restore=v.restore)
    assert _stream(scanner, ["I wrote to <EMA", "IL_1>, done."]) == "I wrote to ann@example.com, done."


def test_protected_record_streamed_word_by_word_is_blocked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from seedstack.config.guard import GuardConfig

    records = tmp_path / "records.txt"
    records.write_text("Patient 8812 Mary Major was admitted on a Tuesday with chest pain and released Friday\n")
    engine = GuardEngine.from_config(GuardConfig(protected_records=[records]))
    scanner = engine.output_scanner(GuardPolicy(), system_prompt=None, restore=None)
    answer = "As noted, Mary Major was admitted on a Tuesday with chest pain and released Friday."
    words = answer.split(" ")
    sent = ""
    with pytest.raises(GuardrailBlockedError):
        for w in words:
            sent += scanner.feed(w + " ")
        sent += scanner.finish()
    assert "chest pain and released" not in sent


def test_missing_protected_records_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from seedstack.config.guard import GuardConfig
    from seedstack.errors import ConfigError

    with pytest.raises(ConfigError, match="protected_records"):
        GuardEngine.from_config(GuardConfig(protected_records=[tmp_path / "nope.jsonl"]))
