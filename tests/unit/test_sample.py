from pathlib import Path

import pytest

from mmwidgets import load_sample
from mmwidgets.datasets import SampleDataMissingError

COLUMNS = ["id", "text", "image", "speech", "sound", "category", "subcategory"]


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_sample_has_every_column_and_enough_rows(sample):
    assert list(sample.columns) == COLUMNS
    assert len(sample) >= 800
    assert sample["id"].is_unique
    assert sample["category"].nunique() >= 15


def test_sample_paths_exist(sample):
    for column in ("image", "speech", "sound"):
        paths = sample[column].dropna()
        missing = [p for p in paths if not Path(p).is_file()]
        assert missing == [], f"{column}: {missing[:3]}"
    assert sample["image"].notna().all()
    assert all(str(p).endswith(".png") for p in sample["image"])


def test_sample_has_the_natural_missing_modality_pattern(sample):
    # every stamp has an image and a description; speech and sound effects only some
    assert sample["text"].notna().mean() > 0.99
    assert 0.5 < sample["speech"].notna().mean() < 1.0
    assert 0.05 < sample["sound"].notna().mean() < 0.5


def test_sample_text_is_the_english_line(sample):
    koala = sample.loc[sample["id"] == "animals/marsupials/koala"].iloc[0]
    assert "koala" in koala["text"].lower()
    assert ".utf8=" not in koala["text"]
    assert koala["speech"].endswith("koala_desc.ogg")  # the English spoken description
    assert koala["category"] == "animals"
    assert koala["subcategory"] == "marsupials"


def test_speech_falls_back_to_french(sample):
    speech = sample["speech"].dropna()
    assert speech.str.endswith("_desc_fr.ogg").sum() > 100
    assert speech.str.endswith("_desc.ogg").sum() >= 60


def test_missing_package_says_how_to_install(tmp_path):
    with pytest.raises(SampleDataMissingError, match="apt-get install tuxpaint-stamps-default"):
        load_sample(root=tmp_path / "nowhere")


def test_svg_only_stamps_are_rendered_to_png(sample, tmp_path):
    rendered = sample[~sample["image"].str.startswith("/usr/share/")]
    assert len(rendered) > 100
    from PIL import Image

    with Image.open(rendered["image"].iloc[0]) as img:
        assert img.format == "PNG"
        assert max(img.size) >= 256
