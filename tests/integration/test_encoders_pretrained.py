"""The default image encoder really carries the shipped ImageNet weights, end to end.

Real photos (scikit-image's ``coffee`` and ``chelsea``) and the real Tux Paint clip art that
Debian ships; nothing is mocked or downloaded.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path

import numpy as np
import pytest
import torch
from skimage import data

from mmwidgets.encoders import create_encoder
from mmwidgets.encoders.image import TimmImageEncoder, load_efficientnet_lite0

pytestmark = pytest.mark.slow

STAMPS = Path("/usr/share/tuxpaint/stamps")
ESPRESSO = 967
CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def encoder() -> TimmImageEncoder:
    enc = create_encoder("image")
    assert isinstance(enc, TimmImageEncoder)
    return enc


def test_default_image_encoder_and_its_preprocessing(encoder: TimmImageEncoder) -> None:
    assert (encoder.name, encoder.dim) == ("tf_efficientnet_lite0", 1280)
    cfg = encoder.data_config
    assert cfg["mean"] == cfg["std"] == (0.5, 0.5, 0.5)
    assert cfg["input_size"] == (3, 224, 224)
    assert round(224 / cfg["crop_pct"]) == 256  # resize 256, centre crop 224
    assert "sha256:579344248a93" in encoder.version  # the shipped file, by content


def test_restored_head_recognises_real_photos(encoder: TimmImageEncoder) -> None:
    classifier = load_efficientnet_lite0(with_head=True)
    with torch.inference_mode():
        probs = classifier(encoder.preprocess([data.coffee(), data.chelsea()])).softmax(dim=1)
    top = probs.argmax(dim=1).tolist()
    print(f"\ncoffee -> class {top[0]} (p={probs[0].max():.3f}); chelsea -> class {top[1]}")
    assert top[0] == ESPRESSO
    assert probs[0, ESPRESSO] > 0.5
    assert top[1] in CATS


def test_encoder_features_are_the_pretrained_networks_features(encoder: TimmImageEncoder) -> None:
    head = load_efficientnet_lite0(with_head=True).get_classifier()
    features = encoder.encode([data.coffee(), data.chelsea()])
    with torch.inference_mode():
        logits = head(torch.from_numpy(features)).numpy()
    assert logits[0].argmax() == ESPRESSO
    assert logits[1].argmax() in CATS


def test_transparent_clip_art_is_seen_on_white(encoder: TimmImageEncoder) -> None:
    from PIL import Image

    rgb = np.asarray(data.coffee())
    clear = np.dstack([np.zeros_like(rgb), np.zeros((*rgb.shape[:2], 1), np.uint8)])
    white = Image.new("RGB", (rgb.shape[1], rgb.shape[0]), "white")
    as_rgba, as_white = encoder.encode([Image.fromarray(clear, "RGBA"), white])
    np.testing.assert_allclose(as_rgba, as_white, atol=1e-5)


def test_any_timm_name_with_a_local_checkpoint_goes_through_the_fallback(
    encoder: TimmImageEncoder, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "lite0_timm_names.pth"
    torch.save(load_efficientnet_lite0(with_head=True).state_dict(), checkpoint)
    local = create_encoder("image", "tf_efficientnet_lite0", checkpoint_path=checkpoint)
    assert local.dim == 1280
    assert local.version != encoder.version  # another file, another cache entry
    photos = [data.coffee(), data.chelsea()]
    np.testing.assert_allclose(local.encode(photos), encoder.encode(photos), atol=1e-4)


def test_random_baseline_is_seeded(encoder: TimmImageEncoder) -> None:
    first = create_encoder("image", pretrained=False)
    again = create_encoder("image", pretrained=False)
    other = create_encoder("image", pretrained=False, seed=1)
    assert first.version == again.version != other.version
    assert "random-seed0" in first.version
    photo = [data.coffee()]
    np.testing.assert_array_equal(first.encode(photo), again.encode(photo))


def test_numpy_preprocessing_equals_timms_transform(encoder: TimmImageEncoder) -> None:
    from PIL import Image
    from timm.data.transforms_factory import create_transform

    timms = create_transform(**encoder.data_config)
    for image in [
        Image.fromarray(data.coffee()),
        Image.fromarray(data.astronaut()).resize((97, 300)),
    ]:
        np.testing.assert_allclose(
            encoder.preprocess([image])[0].numpy(), timms(image).numpy(), atol=1e-6
        )


def _stamp_sample(per_category: int = 17, min_images: int = 12) -> tuple[list[str], list[str]]:
    """A seeded, balanced subset of the PNG stamps, labelled by their top-level folder."""
    if not STAMPS.is_dir():
        pytest.skip("Debian's tuxpaint-stamps-default is not installed")
    rng = np.random.default_rng(0)
    paths: list[str] = []
    labels: list[str] = []
    for category in sorted(p.name for p in STAMPS.iterdir() if p.is_dir()):
        found = sorted(str(p) for p in (STAMPS / category).rglob("*.png"))
        if len(found) < min_images:
            continue
        chosen = rng.choice(found, size=min(per_category, len(found)), replace=False)
        paths += sorted(chosen.tolist())
        labels += [category] * len(chosen)
    return paths, labels


def _leave_one_out_1nn(embeddings: np.ndarray, labels: list[str]) -> float:
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    return float(np.mean([labels[j] == label for j, label in zip(nearest, labels, strict=True)]))


def test_pretrained_neighbours_share_categories_far_more_than_random_ones(
    encoder: TimmImageEncoder,
) -> None:
    paths, labels = _stamp_sample()
    problems: list[tuple[int, str]] = []
    pretrained = encoder.encode(paths, on_problem=lambda i, p: problems.append((i, p)))
    random = create_encoder("image", pretrained=False).encode(paths)
    pixels = create_encoder("image", "pixels").encode(paths)
    assert not problems
    scores = {
        "pretrained": _leave_one_out_1nn(pretrained, labels),
        "random init": _leave_one_out_1nn(random, labels),
        "16x16 pixels": _leave_one_out_1nn(pixels, labels),
    }
    chance = max(labels.count(c) for c in set(labels)) / len(labels)
    print(
        f"\n1-NN category accuracy, {len(paths)} stamps in {len(set(labels))} categories "
        f"(majority class {chance:.3f}): "
        + ", ".join(f"{name} {acc:.3f}" for name, acc in scores.items())
    )
    assert scores["pretrained"] >= scores["random init"] + 0.15
    assert scores["pretrained"] >= scores["16x16 pixels"] + 0.15
