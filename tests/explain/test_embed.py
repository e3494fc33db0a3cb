from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from seedstack.errors import ConfigError
from seedstack.explain import SearchFilters, index_payloads, search
from seedstack.explain.demo import insert_records
from seedstack.explain.embed import HashedNgramEmbedder, make_embedder

from .obs_records import chat_payload, make_record


def test_hashed_embeddings_rank_related_text_closer_and_match_across_processes():
    e = HashedNgramEmbedder()
    q, near, far = e.embed(["my refund was denied", "your refund request was denied", "the parcel ships Monday"])
    assert q @ near > q @ far + 0.2
    code = "from seedstack.explain.embed import HashedNgramEmbedder as H; print(H().embed(['refund'])[0][:8].tolist())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert np.allclose(eval(other), e.embed(["refund"])[0][:8])


def _tiny_model2vec(path: str) -> None:
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocab = {"[UNK]": 0, "[PAD]": 1, "refund": 2, "money": 3, "back": 4, "denied": 5, "parcel": 6, "late": 7}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    vecs = np.random.default_rng(0).normal(size=(len(vocab), 16)).astype(np.float32)
    vecs[3] = vecs[2]  # "money" means "refund" to this model: a synonym hashing cannot know
    vecs[4] = vecs[2]
    StaticModel(vectors=vecs, tokenizer=tok, normalize=True).save_pretrained(path)


def test_sentence_model_from_a_local_directory_finds_synonyms(store, tmp_path):
    pytest.importorskip("model2vec", reason="the [embeddings] extra is not installed")
    _tiny_model2vec(str(tmp_path / "m2v"))
    emb = make_embedder("sentence", str(tmp_path / "m2v"))
    recs = [
        make_record("req_money", payload_kept=True, payload=chat_payload("hi", "money back")),
        make_record("req_parcel", payload_kept=True, payload=chat_payload("hi", "parcel late")),
    ]
    insert_records(store, recs, index=False)
    index_payloads(store, recs, emb)
    hits = search(store, "refund", SearchFilters(), embedder=emb)
    assert [h.request_id for h in hits][:1] == ["req_money"] and hits[0].matched == ["semantic"]


def test_sentence_embedder_needs_a_local_model_path(tmp_path):
    with pytest.raises(ConfigError, match="sentence_model"):
        make_embedder("sentence", None)
    pytest.importorskip("model2vec", reason="the [embeddings] extra is not installed")
    with pytest.raises(ConfigError, match="cannot load the sentence model"):
        make_embedder("sentence", str(tmp_path / "missing"))
