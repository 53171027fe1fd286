"""The classifier on a tiny real BERT (built by ``model init`` and a second of training)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain import Post
from monitor.errors import DetectError
from monitor.model.labels import LABELS
from tests.model.corpus import CORPUS
from tests.model.fixtures import EXAMPLE_REGISTRY

torch = pytest.importorskip("torch")

from monitor.detect.classifier import (  # noqa: E402
    Classifier,
    cpu_has_amx,
    pick_device,
    pick_precision,
)
from monitor.detect.masking import CandidateMasker  # noqa: E402
from monitor.model.checkpoint import weights_sha256  # noqa: E402
from monitor.rules.registry import load_registry  # noqa: E402

TEXTS = [
    "Ayo dukung Hendra Wijaya, pilih nomor 1 sekarang juga ya teman-teman semua!",
    "Selamat pagi",
    "Jangan pilih Darmaji Santosa",
    "",
    "Sembako gratis untuk warga yang pilih HeSti, datang ke posko malam ini jam delapan",
    "ASN harus netral",
    "Bagikan video kampanye ini",
]


@pytest.fixture(scope="module")
def classifier(tiny_model: Path) -> Classifier:
    return Classifier(tiny_model, device="cpu", precision="fp32")


def test_version_names_the_directory_and_weights(classifier: Classifier, tiny_model: Path) -> None:
    digest = weights_sha256(tiny_model)
    assert classifier.version == f"tiny@{digest[:12]}"
    assert re.fullmatch(r"tiny@[0-9a-f]{12}", classifier.version)


def test_predict_gives_a_distribution_per_text(classifier: Classifier) -> None:
    rows = classifier.predict(TEXTS)
    assert len(rows) == len(TEXTS)
    for row in rows:
        assert tuple(row) == LABELS
        assert sum(row.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(0.0 <= p <= 1.0 for p in row.values())
    assert classifier.predict([]) == []


@pytest.mark.parametrize("batch_size", [1, 2, 3, 32])
def test_batching_by_length_keeps_order_and_results(tiny_model: Path, batch_size: int) -> None:
    one_by_one = [
        Classifier(tiny_model, device="cpu", batch_size=1, precision="fp32").predict([t])[0]
        for t in TEXTS[:3]
    ]
    batched = Classifier(tiny_model, device="cpu", batch_size=batch_size, precision="fp32")
    rows = batched.predict(TEXTS)
    for expected, row in zip(one_by_one, rows[:3], strict=True):
        for label in LABELS:
            assert row[label] == pytest.approx(expected[label], abs=1e-5)


def test_fast_encoding_matches_the_tokenizer(classifier: Classifier) -> None:
    long = " ".join(TEXTS) * 3  # truncated to max_length
    texts = [*TEXTS, long, "Dukung [PASLON] #Tolak[PASLON] [DIBAGIKAN_DARI_PEMENANGAN]"]
    expected = classifier.tokenizer(texts, truncation=True, max_length=classifier.max_length)
    assert classifier.encode(texts) == expected["input_ids"]
    assert len(classifier.encode([long])[0]) == classifier.max_length


def test_batches_are_sorted_by_length_and_padded_per_batch(classifier: Classifier) -> None:
    encoded = classifier.encode(TEXTS)
    batches = classifier.batches(encoded)
    lengths = [len(encoded[i]) for b in batches for i in b.indexes]
    assert lengths == sorted(lengths)
    assert sorted(i for b in batches for i in b.indexes) == list(range(len(TEXTS)))
    for batch in batches:
        assert batch.input_ids.shape[1] == max(len(encoded[i]) for i in batch.indexes)
        assert batch.attention_mask.sum().item() == sum(len(encoded[i]) for i in batch.indexes)


def test_auto_precision_is_close_to_fp32(tiny_model: Path, classifier: Classifier) -> None:
    auto = Classifier(tiny_model, device="cpu")
    assert auto.precision == ("bf16" if cpu_has_amx() else "fp32")
    for fast, exact in zip(auto.predict(TEXTS), classifier.predict(TEXTS), strict=True):
        for label in LABELS:
            assert fast[label] == pytest.approx(exact[label], abs=0.05)


def test_the_trained_model_learned_the_corpus(classifier: Classifier) -> None:
    texts = [t for texts in CORPUS.values() for t in texts]
    truth = [label for label, texts in CORPUS.items() for _ in texts]
    masker = CandidateMasker(load_registry([EXAMPLE_REGISTRY]))
    rows = Classifier(classifier.path, device="cpu", masker=masker).predict(texts)
    correct = sum(max(r, key=r.__getitem__) == t for r, t in zip(rows, truth, strict=True))
    assert correct / len(texts) > 0.5  # chance is 1/6


def test_predict_posts_masks_with_shared_from_and_region(tiny_model: Path) -> None:
    masker = CandidateMasker(load_registry([EXAMPLE_REGISTRY]))
    classifier = Classifier(tiny_model, device="cpu", precision="fp32", masker=masker)
    plain = Classifier(tiny_model, device="cpu", precision="fp32")
    when = datetime(2024, 10, 1, tzinfo=UTC)
    posts = [
        Post("x", "1", "@budi", "Dukung Hendra Wijaya!", when, "{}"),
        Post(
            "x", "2", "@budi", "Keren", when, "{}",
            shared_from="@relawan.hesti", author_region="Kabupaten Sukamaju",
        ),
    ]  # fmt: skip
    expected = plain.predict(["Dukung [PASLON]!", "Keren [DIBAGIKAN_DARI_PEMENANGAN]"])
    got = classifier.predict_posts(posts)
    for row, want in zip(got, expected, strict=True):
        for label in LABELS:
            assert row[label] == pytest.approx(want[label], abs=1e-6)


def test_missing_directory_is_a_detect_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(DetectError, match=re.escape(str(missing))):
        Classifier(missing)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("no-config", "config.json"),
        ("bad-config", "tidak dapat dimuat"),
        ("no-weights", "tidak dapat dimuat"),
        ("bad-weights", "tidak dapat dimuat"),
        ("other-labels", "bukan label asn-monitor"),
    ],
)
def test_broken_directory_is_a_detect_error(
    tiny_model: Path, tmp_path: Path, breakage: str, message: str
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    if breakage == "no-config":
        (broken / "config.json").unlink()
    elif breakage == "bad-config":
        (broken / "config.json").write_text("{ not json", encoding="utf-8")
    elif breakage == "no-weights":
        (broken / "model.safetensors").unlink()
    elif breakage == "bad-weights":
        (broken / "model.safetensors").write_bytes(b"\0" * 64)
    else:
        config = json.loads((broken / "config.json").read_text(encoding="utf-8"))
        config["id2label"] = {str(i): f"LABEL_{i}" for i in range(len(LABELS))}
        config["label2id"] = {f"LABEL_{i}": i for i in range(len(LABELS))}
        (broken / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(DetectError, match=message) as caught:
        Classifier(broken, device="cpu")
    assert str(broken) in str(caught.value)


def test_device_and_precision_choice() -> None:
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(DetectError, match="cuda"):
            pick_device("cuda")
    cpu = torch.device("cpu")
    assert pick_precision(cpu, "fp32") is None
    assert pick_precision(cpu, "bf16") is torch.bfloat16
    assert pick_precision(cpu, "auto") is (torch.bfloat16 if cpu_has_amx() else None)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(tiny_model: Path, classifier: Classifier) -> None:
    gpu = Classifier(tiny_model, device="cuda")
    assert gpu.precision in ("bf16", "fp16")
    for fast, exact in zip(gpu.predict(TEXTS), classifier.predict(TEXTS), strict=True):
        for label in LABELS:
            assert fast[label] == pytest.approx(exact[label], abs=0.05)
