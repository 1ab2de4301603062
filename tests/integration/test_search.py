"""Search and "more like this" on real encoders: planted near-duplicates come back first."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import mmwidgets as mm
from mmwidgets.data import UnknownItemError


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """60 sample items, plus a re-encoded copy of one image and a reworded copy of one text."""
    folder = tmp_path_factory.mktemp("search")
    df = mm.load_sample()
    df = df[df["category"].isin(["animals", "food", "vehicles", "town"])]
    df = df.groupby("category").head(15).reset_index(drop=True)[["id", "text", "image"]]
    image_source = df.iloc[3]
    copy = folder / "copy.jpg"
    with Image.open(image_source["image"]) as im:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        on_white = Image.alpha_composite(white, rgba).convert("RGB")
        on_white.resize((on_white.width * 4 // 5, on_white.height * 4 // 5)).save(copy, quality=80)
    text_source = df.iloc[40]
    planted_rows = pd.DataFrame(
        [
            {"id": "planted-image", "text": "Something else entirely.", "image": str(copy)},
            {
                "id": "planted-text",
                "text": f"This picture shows {text_source['text'].rstrip('.').lower()}.",
                "image": df.iloc[20]["image"],
            },
        ]
    )
    frame = pd.concat([df, planted_rows], ignore_index=True)
    session = mm.Session(
        frame, ["animals", "food", "vehicles", "town"], id="id", text="text", image="image",
        store=folder / "labels.sqlite", progress=False, background=False,
    )  # fmt: skip
    yield session, image_source, text_source
    session.close()


def test_more_like_this_finds_the_planted_image_copy_first(planted):
    session, image_source, _ = planted
    hits = session.similar(image_source["id"], k=5, modality="image")
    assert hits["id"].iloc[0] == "planted-image"
    assert image_source["id"] not in set(hits["id"])
    assert hits["score"].is_monotonic_decreasing
    assert hits["score"].iloc[0] > 0.8


def test_more_like_this_by_text_and_by_whole_item(planted):
    session, _, text_source = planted
    assert session.similar(text_source["id"], k=3, modality="text")["id"].iloc[0] == "planted-text"
    fused = session.similar("planted-image", k=60, modality="fused")
    assert len(fused) == 60
    assert fused["id"].iloc[0] != "planted-image"


def test_search_ranks_meaning_and_keywords(planted):
    session, _, text_source = planted
    words = text_source["text"].rstrip(".")
    hits = session.search(words, k=5)
    assert set(hits["id"].iloc[:2]) == {text_source["id"], "planted-text"}
    assert (hits["keywords"].iloc[:2] == 1.0).all()
    assert np.isfinite(hits["similarity"]).all()
    # meaning without a shared word: the text encoder's similarity alone
    vehicle = session.search("a machine people ride on the road", k=10)
    assert vehicle["keywords"].max() < 1.0
    categories = mm.load_sample().set_index("id")["category"]
    found = [categories.get(i, "planted") for i in vehicle["id"].iloc[:5]]
    assert found.count("vehicles") >= 3, found


def test_search_refuses_bad_input_clearly(planted):
    session, _, _ = planted
    with pytest.raises(ValueError, match="non-empty text query"):
        session.search("   ")
    with pytest.raises(ValueError, match="k must be a positive int"):
        session.search("a cat", k=0)
    with pytest.raises(UnknownItemError, match="not in this session"):
        session.similar("no-such-item")
    with pytest.raises(ValueError, match="modality must be one of"):
        session.similar("planted-image", modality="smell")
