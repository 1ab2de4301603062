import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image

from mmwidgets.data import Dataset, SchemaError, UnknownItemError
from mmwidgets.data.dataset import Item
from mmwidgets.data.media import AudioClip, MediaError, Thumbnail


def samples(seconds: float = 0.5, rate: int = 8000, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t)] * channels, axis=1).astype(np.float32)


def problem_cells(ds: Dataset) -> set[tuple[str, str]]:
    return {(row.id, row.column) for row in ds.problems().itertuples()}


@pytest.fixture
def every_kind(media):
    """One row per accepted value type of each modality."""
    images = [
        str(media.png),
        media.jpeg,
        media.png_rgba.read_bytes(),
        Image.new("RGB", (30, 20), "red"),
        np.zeros((20, 30), np.uint8),
        np.zeros((20, 30, 3), np.uint8),
        np.zeros((20, 30, 4), np.uint8),
        np.full((20, 30, 3), 0.25, np.float32),
    ]
    audio = [
        str(media.wav),
        media.flac,
        media.ogg,
        media.ogg.read_bytes(),
        (samples()[:, 0], 8000),
        (samples(channels=2), 8000),
        None,
        np.nan,
    ]
    text = ["a cat", np.nan, None, "", "a dog", pd.NA, "un chat", "ünïcødé"]
    return pd.DataFrame({"caption": text, "photo": images, "sound": audio})


# --- construction and lookups ----------------------------------------------------------------


def test_every_accepted_value_type_builds_without_problems(every_kind):
    ds = Dataset.from_pandas(every_kind, text="caption", image="photo", audio="sound")
    assert ds.problems().empty
    assert ds.ok_ids == [str(i) for i in range(8)]
    assert len(ds) == 8
    assert ds.modalities == ("text", "image", "audio")
    assert ds.columns == {"text": ("caption",), "image": ("photo",), "audio": ("sound",)}


def test_every_image_kind_makes_a_thumbnail(every_kind):
    ds = Dataset.from_pandas(every_kind, image="photo")
    for item_id in ds.ids:
        thumb = ds.thumbnail(item_id, "photo", max_side=16)
        assert isinstance(thumb, Thumbnail)
        assert max(thumb.width, thumb.height) == 16
        assert Image.open(io.BytesIO(thumb.data)).size == (thumb.width, thumb.height)
    assert ds.thumbnail(2, "photo").mime == "image/png"  # the transparent one
    assert ds.thumbnail(1, "photo").mime == "image/jpeg"


def test_every_audio_kind_makes_a_clip(every_kind):
    ds = Dataset.from_pandas(every_kind, audio="sound")
    for item_id in ds.ids[:6]:
        clip = ds.audio_clip(item_id, "sound", n_peaks=20)
        assert isinstance(clip, AudioClip)
        assert clip.duration > 0.4
        assert clip.peaks.shape == (20,)
        assert sf.info(io.BytesIO(clip.data)).frames > 0
    with pytest.raises(MediaError, match="no audio"):
        ds.audio_clip(6, "sound")
    assert ds.problems().empty  # a missing cell is not a problem


def test_missing_values_are_none_and_not_problems(every_kind):
    ds = Dataset.from_pandas(every_kind, text="caption", audio="sound")
    assert [ds.value(i, "caption") for i in range(3)] == ["a cat", None, None]
    assert ds.value(3, "caption") == ""  # empty text is text
    assert ds.value(5, "caption") is None  # pd.NA
    assert ds.value(6, "sound") is None
    assert ds.value(7, "sound") is None
    presence = ds.presence()
    assert presence.index.tolist() == ds.ids
    assert presence.index.name == "id"
    assert presence["caption"].tolist() == [True, False, False, True, True, False, True, True]
    assert presence["sound"].tolist() == [True] * 6 + [False] * 2
    assert presence.dtypes.tolist() == [bool, bool]


def test_blank_media_paths_are_missing(media):
    df = pd.DataFrame({"photo": [str(media.png), "", "   "], "sound": ["", str(media.wav), None]})
    ds = Dataset.from_pandas(df, image="photo", audio="sound")
    assert ds.problems().empty
    assert ds.presence().to_dict("list") == {
        "photo": [True, False, False],
        "sound": [False, True, False],
    }


def test_item_collects_usable_values(media):
    df = pd.DataFrame(
        {
            "caption": ["a cat", None],
            "speech": [str(media.wav), str(media.missing)],
            "sound": [None, str(media.ogg)],
        }
    )
    ds = Dataset.from_pandas(df, text="caption", audio=["speech", "sound"])
    first = ds.item("0")
    assert first == Item("0", {"caption": "a cat"}, {}, {"speech": str(media.wav), "sound": None})
    second = ds.item(1)
    assert second.text == {"caption": None}
    assert second.audio == {
        "speech": None,
        "sound": str(media.ogg),
    }  # the missing file is a problem
    assert ds.value(1, "speech") == str(media.missing)  # value() is the raw cell
    assert hash(first) == hash(ds.item(0))


def test_ids_from_index_and_from_a_column():
    df = pd.DataFrame({"key": [7, 8.0, "x"], "caption": ["a", "b", "c"]}, index=[10, 20, 30])
    assert Dataset.from_pandas(df, text="caption").ids == ["10", "20", "30"]
    ds = Dataset.from_pandas(df, id="key", text="caption")
    assert ds.ids == ["7", "8", "x"]
    assert ds.value(7, "caption") == "a"
    assert ds.value(np.int64(8), "caption") == "b"
    assert ds.value("x", "caption") == "c"


def test_unknown_ids_and_columns_in_lookups():
    ds = Dataset.from_pandas(pd.DataFrame({"caption": ["a"]}), text="caption")
    with pytest.raises(UnknownItemError, match="'5'"):
        ds.value(5, "caption")
    with pytest.raises(UnknownItemError, match="str or int"):
        ds.item(0.0)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match=r"'capton' is not a column.*'caption'"):
        ds.value(0, "capton")
    with pytest.raises(SchemaError, match="not an image column"):
        ds.thumbnail(0, "caption")


def test_the_frame_is_the_original_and_later_edits_do_not_leak():
    df = pd.DataFrame({"caption": ["a", "b"]})
    ds = Dataset.from_pandas(df, text="caption")
    assert ds.frame is df
    df.loc[0, "caption"] = "changed"
    assert ds.value(0, "caption") == "a"


def test_constructor_and_from_pandas_agree():
    df = pd.DataFrame({"caption": ["a", None]})
    assert repr(Dataset(df, text="caption")) == repr(Dataset.from_pandas(df, text="caption"))


def test_repr_counts_modalities_and_problems(media):
    df = pd.DataFrame(
        {"caption": ["a", None, "c"], "photo": [str(media.png), str(media.missing), None]}
    )
    ds = Dataset.from_pandas(df, text="caption", image="photo")
    assert (
        repr(ds) == "Dataset(3 items | text: caption 2/3 | image: photo 2/3 | 1 problem in 1 item)"
    )


# --- schema errors ---------------------------------------------------------------------------


@pytest.fixture
def frame(media):
    return pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "caption": ["a cat", "a dog", None],
            "photo": [str(media.png), None, str(media.jpeg)],
            "count": [1, 2, 3],
            "loudness": [0.1, 0.2, np.nan],
        }
    )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"text": "captoin"}, ["text='captoin' is not a column", "'caption', 'photo'", "e.g."]),
        ({"image": ["photo", "foto"]}, ["image='foto'", "'photo'"]),
        ({"id": "key", "text": "caption"}, ["id='key' is not a column", "'id'"]),
        ({}, ["at least one", "text='caption', image='path'", "'photo'"]),
        ({"text": "caption", "audio": "caption"}, ["'caption' is given twice", "text=", "audio="]),
        ({"text": ["caption", "caption"]}, ["'caption' is given twice"]),
        ({"text": 5}, ["text= takes a column name", "text='caption'"]),
        ({"text": "count"}, ["text column 'count'", "int", "e.g. 'a cat", "astype(str)"]),
        ({"text": "loudness"}, ["text column 'loudness'", "float", "e.g. 'a cat"]),
        ({"image": "count"}, ["image column 'count'", "int", "e.g. 'photos/cat.jpg'"]),
        ({"audio": "loudness"}, ["audio column 'loudness'", "float", "e.g. 'sounds/meow.ogg'"]),
    ],
)
def test_schema_errors_name_the_column_and_show_an_example(frame, kwargs, words):
    with pytest.raises(SchemaError) as caught:
        Dataset.from_pandas(frame, **kwargs)
    for word in words:
        assert word in str(caught.value)


def test_audio_column_of_bare_arrays_explains_the_sample_rate():
    df = pd.DataFrame({"sound": [np.zeros(10, np.float32), np.zeros(5, np.float32)]})
    with pytest.raises(SchemaError, match=r"'sound'.*\(samples, sample_rate\) tuples"):
        Dataset.from_pandas(df, audio="sound")


def test_duplicate_ids_are_shown():
    df = pd.DataFrame({"id": [1, "1", 2, 3, 3, 3], "caption": list("abcdef")})
    with pytest.raises(SchemaError) as caught:
        Dataset.from_pandas(df, id="id", text="caption")
    message = str(caught.value)
    assert "id column 'id' has duplicate ids" in message
    assert "'1' (rows 0, 1)" in message
    assert "'3' (rows 3, 4, 5)" in message
    assert "'2'" not in message
    assert "e.g. 'cat-001'" in message


def test_duplicate_index_is_shown():
    df = pd.DataFrame({"caption": ["a", "b"]}, index=[4, 4])
    with pytest.raises(
        SchemaError, match=r"the DataFrame index has duplicate ids: '4' \(rows 0, 1\)"
    ):
        Dataset.from_pandas(df, text="caption")


@pytest.mark.parametrize("blank", [None, np.nan, pd.NA, ""])
def test_missing_ids_are_refused(blank):
    df = pd.DataFrame({"id": ["a", blank, "c"], "caption": ["x", "y", "z"]})
    with pytest.raises(SchemaError, match=r"id column 'id' has missing ids at rows 1;.*e\.g\."):
        Dataset.from_pandas(df, id="id", text="caption")


def test_other_shapes_are_refused():
    with pytest.raises(SchemaError, match="pandas DataFrame"):
        Dataset.from_pandas({"caption": ["a"]}, text="caption")  # type: ignore[arg-type]
    multi = pd.DataFrame({"caption": ["a"]}, index=pd.MultiIndex.from_tuples([(1, 2)]))
    with pytest.raises(SchemaError, match="several levels"):
        Dataset.from_pandas(multi, text="caption")
    twice = pd.DataFrame([["a", "b"]], columns=["caption", "caption"])
    with pytest.raises(SchemaError, match="more than once"):
        Dataset.from_pandas(twice, text="caption")


def test_all_missing_column_is_fine():
    df = pd.DataFrame({"caption": ["a", "b"], "photo": [None, None]})
    ds = Dataset.from_pandas(df, text="caption", image="photo")
    assert ds.presence()["photo"].tolist() == [False, False]
    assert ds.problems().empty


# --- per-cell problems -----------------------------------------------------------------------


def test_bad_cells_are_recorded_not_raised(media):
    df = pd.DataFrame(
        {
            "id": ["ok", "gone", "broken", "cut", "cutlong", "empty", "notext"],
            "caption": ["fine", "x", "x", "x", "x", "x", np.nan],
            "photo": [
                str(media.png),
                str(media.missing),
                str(media.corrupt_png),
                str(media.truncated_png),
                None,
                None,
                str(media.jpeg),
            ],
            "sound": [
                str(media.ogg),
                None,
                str(media.flac),
                str(media.truncated_ogg),
                str(media.truncated_long_ogg),
                str(media.empty_wav),
                None,
            ],
        }
    )
    ds = Dataset.from_pandas(df, id="id", text="caption", image="photo", audio="sound")
    problems = ds.problems()
    assert list(problems.columns) == ["id", "column", "problem"]
    assert problem_cells(ds) == {
        ("gone", "photo"),
        ("broken", "photo"),
        ("cut", "photo"),
        ("cut", "sound"),
        ("cutlong", "sound"),
        ("empty", "sound"),
    }
    assert problems["id"].tolist() == ["gone", "broken", "cut", "cut", "cutlong", "empty"]
    text = dict(
        zip(zip(problems["id"], problems["column"], strict=True), problems["problem"], strict=True)
    )
    assert "not found" in text[("gone", "photo")]
    assert "not a recognised image format" in text[("broken", "photo")]
    assert "truncated" in text[("cut", "photo")]
    assert "truncated Ogg" in text[("cut", "sound")]
    assert "truncated Ogg" in text[("cutlong", "sound")]
    assert "zero-length" in text[("empty", "sound")]
    assert ds.ok_ids == ["ok", "notext"]  # NaN text is missing, not a problem
    assert ds.has_problem("cut")
    assert not ds.has_problem("notext")
    presence = ds.presence()
    assert presence.loc["cut"].tolist() == [True, False, False]
    assert presence.loc["notext"].tolist() == [False, True, False]


def test_pixel_limit_is_a_problem(media):
    df = pd.DataFrame({"photo": [str(media.png), str(media.jpeg)]})
    ds = Dataset.from_pandas(df, image="photo", max_pixels=100_000)
    assert problem_cells(ds) == {("1", "photo")}
    assert "over the limit of 100,000" in ds.problems()["problem"][0]


def test_stray_wrong_type_cells_are_problems():
    df = pd.DataFrame(
        {"caption": ["a cat", 42, None], "sound": [(samples(), 8000), 3.5, np.zeros(3)]}
    )
    ds = Dataset.from_pandas(df, text="caption", audio="sound")
    assert problem_cells(ds) == {("1", "caption"), ("1", "sound"), ("2", "sound")}
    assert "text cell holds int 42" in ds.problems()["problem"][0]
    assert ds.item(1).text == {"caption": None}
    assert ds.ok_ids == ["0"]


def test_validate_false_defers_problems_to_loading(media):
    df = pd.DataFrame({"photo": [str(media.corrupt_png), str(media.png)], "sound": [None, b"junk"]})
    ds = Dataset.from_pandas(df, image="photo", audio="sound", validate=False)
    assert ds.problems().empty
    with pytest.raises(MediaError, match="cannot decode image"):
        ds.thumbnail(0, "photo")
    with pytest.raises(MediaError, match="cannot decode audio"):
        ds.audio_clip("1", "sound")
    assert problem_cells(ds) == {("0", "photo"), ("1", "sound")}
    assert ds.ok_ids == []


def test_record_problem(media):
    ds = Dataset.from_pandas(pd.DataFrame({"caption": ["a", "b", "c"]}), text="caption")
    ds.record_problem(2, "caption", "encoder choked")
    ds.record_problem("0", "caption", "first")
    ds.record_problem("0", "caption", "replaced")
    assert ds.problems().values.tolist() == [
        ["0", "caption", "replaced"],
        ["2", "caption", "encoder choked"],
    ]
    assert ds.ok_ids == ["1"]
    with pytest.raises(UnknownItemError):
        ds.record_problem(9, "caption", "x")
    with pytest.raises(SchemaError):
        ds.record_problem(1, "photo", "x")
    with pytest.raises(ValueError, match="non-empty"):
        ds.record_problem(1, "caption", "")


def test_progress_bar_only_for_many_media_cells(capsys):
    few = pd.DataFrame({"photo": [np.zeros((2, 2), np.uint8)] * 200})
    Dataset.from_pandas(few, image="photo")
    assert "Checking media" not in capsys.readouterr().err
    many = pd.DataFrame({"photo": [np.zeros((2, 2), np.uint8)] * 201})
    Dataset.from_pandas(many, image="photo")
    assert "Checking media" in capsys.readouterr().err


def test_bad_max_pixels_is_refused():
    df = pd.DataFrame({"caption": ["a"]})
    with pytest.raises(ValueError, match="max_pixels"):
        Dataset.from_pandas(df, text="caption", max_pixels=0)


def test_the_data_layer_does_not_import_torch():
    code = (
        "import sys, mmwidgets.data.dataset, mmwidgets.data.media; "
        "print(sorted(m for m in ('torch', 'timm', 'sentence_transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
