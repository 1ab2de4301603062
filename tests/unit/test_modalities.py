"""A modality registered in one place works in every layer: data, encoders, fusion, widgets."""

import numpy as np
import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets.data import (
    ModalitySpec,
    SchemaError,
    get_modality,
    list_modalities,
    load_image,
    register_modality,
    unregister_modality,
)
from mmwidgets.data import _schema as schema
from mmwidgets.encoders import (
    Encoder,
    create_encoder,
    encode_dataset,
    list_encoders,
    register_encoder,
    unregister_encoder,
)
from mmwidgets.exceptions import UnknownModalityError
from mmwidgets.widgets._base import Outbox
from mmwidgets.widgets._payload import ItemPacker


@pytest.fixture
def number():
    """The README's recipe for a new modality: one spec, one encoder."""
    spec = register_modality(
        ModalitySpec(
            "number",
            accepts=lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            kinds="a number",
            example="0.5",
            normalize=float,
            renderer="text",
        )
    )

    @register_encoder("number", "identity", default=True)
    class Identity(Encoder):
        # two features, (x, -x): the fusion's LayerNorm would turn a single one into 0
        modality, name, dim, version = "number", "identity", 2, "identity-v1"

        def _load(self, value):
            return value

        def _forward(self, inputs):
            x = np.asarray(inputs, dtype=np.float32)[:, None]
            return np.hstack([x, -x])

    yield spec
    unregister_encoder("number", "identity")
    unregister_modality("number")


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    labels = np.where(x > 0, "up", "down")
    return pd.DataFrame({"t": ["an item"] * n, "x": x}), labels


def test_a_registered_modality_runs_from_dataframe_to_fitted_model(number):
    df, y = _frame()
    df.loc[3, "x"] = np.nan  # missing, as in any modality
    ds = mm.Dataset.from_pandas(df, columns={"number": "x"}, text="t")
    assert ds.columns == {"text": ("t",), "number": ("x",)}
    assert ds.modalities == ("text", "number")
    assert "number" in list_modalities()
    assert schema.MODALITIES[-1] == "number"
    assert ds.item(0)["number"] == {"x": df.loc[0, "x"]}
    assert "number={'x':" in repr(ds.item(0))
    assert not ds.presence().loc["3", "x"]

    encoded = encode_dataset(ds, {"text": "hashing"}, cache=False, progress=False)
    assert type(encoded.encoders["number"]).__name__ == "Identity"  # the registry's default
    assert encoded.embeddings["number"].shape == (len(df), 2)
    np.testing.assert_allclose(encoded.embeddings["number"][:3, 0], df["x"][:3], rtol=1e-6)
    assert np.isnan(encoded.embeddings["number"][3]).all()
    assert encoded.presence[:, encoded.modalities.index("number")].sum() == len(df) - 1

    model = mm.FusionClassifier(epochs=80).fit(encoded.embeddings, y, encoded.presence)
    present = ~np.isnan(encoded.embeddings["number"][:, 0])
    predicted = model.predict(encoded.embeddings, encoded.presence)
    # text is the same for every item: only the number can carry the label
    assert (predicted[present] == y[present]).mean() > 0.9


def test_a_registered_modality_is_cached_by_content(number, tmp_path):
    df, _ = _frame(n=5)
    ds = mm.Dataset.from_pandas(df, columns={"number": "x", "text": "t"})
    cold = encode_dataset(ds, {"text": "hashing"}, cache=tmp_path, progress=False)
    warm = encode_dataset(ds, {"text": "hashing"}, cache=tmp_path, progress=False)
    assert cold.computed["number"] == 5
    assert warm.cached["number"] == 5
    assert warm.computed["number"] == 0
    np.testing.assert_array_equal(cold.embeddings["number"], warm.embeddings["number"])


def test_the_browser_draws_a_registered_modality_by_its_renderer(number):
    df = pd.DataFrame({"t": ["a cat", None], "x": [1.5, None]})
    ds = mm.Dataset.from_pandas(df, columns={"number": "x"}, text="t")
    packer = ItemPacker(ds)
    payload = packer.pack("0", Outbox())
    assert payload["text"] == [
        {"column": "t", "state": "ok", "value": "a cat"},
        {"column": "x", "state": "ok", "value": "1.5", "modality": "number"},
    ]
    assert payload["image"] == payload["audio"] == []
    missing = packer.pack("1", Outbox())["text"]
    assert missing[1] == {"column": "x", "state": "missing", "modality": "number"}


def test_the_spec_validates_cells(number):
    df = pd.DataFrame({"x": [1, "seven", True, 2.5]})
    ds = mm.Dataset.from_pandas(df, columns={"number": "x"})
    assert ds.problems().to_dict("records") == [
        {"id": "1", "column": "x", "problem": "number cell holds str 'seven'; expected a number, "
         "e.g. 0.5"},
        {"id": "2", "column": "x", "problem": "number cell holds bool True; expected a number, "
         "e.g. 0.5"},
    ]  # fmt: skip
    assert ds.value(0, "x") == 1.0
    assert isinstance(ds.value(0, "x"), float)  # normalized
    with pytest.raises(SchemaError, match=r"number column 'x' holds str values.*e\.g\. 0\.5"):
        mm.Dataset.from_pandas(pd.DataFrame({"x": ["a", "b"]}), columns={"number": "x"})


def test_a_media_modality_gets_problems_and_thumbnails(media):
    register_modality(
        ModalitySpec(
            "sketch",
            accepts=lambda v: isinstance(v, str | bytes),
            kinds="a file path or bytes",
            example="'sketches/cat.png'",
            missing=lambda v: v == "",
            loader=load_image,
            media=True,
            renderer="image",
        )
    )
    try:
        df = pd.DataFrame({"s": [str(media.png), b"not an image", ""]})
        ds = mm.Dataset.from_pandas(df, columns={"sketch": "s"})
        assert ds.problems()["id"].tolist() == ["1"]
        assert ds.presence()["s"].tolist() == [True, False, False]
        assert ds.thumbnail(0, "s", max_side=8).width <= 8
        out = Outbox()
        payload = ItemPacker(ds, max_side=8).pack("0", out)
        (slot,) = payload["image"]  # drawn by the image renderer
        assert slot["modality"] == "sketch"
        assert slot["state"] == "ok"
        assert out.buffers[slot["buffer"]] == ds.thumbnail(0, "s", max_side=8).data
        assert ItemPacker(ds).pack("1", Outbox())["image"][0]["state"] == "error"
    finally:
        unregister_modality("sketch")


def test_unknown_modalities_are_refused_with_the_registered_ones():
    df = pd.DataFrame({"x": [1.0]})
    listing = "registered: text, image, audio"
    with pytest.raises(UnknownModalityError, match=f"unknown modality 'video'; {listing}"):
        mm.Dataset.from_pandas(df, columns={"video": "x"})
    with pytest.raises(UnknownModalityError, match=listing):
        get_modality("video")
    with pytest.raises(UnknownModalityError, match=listing):
        create_encoder("video")
    with pytest.raises(UnknownModalityError, match=listing):
        list_encoders("video")
    with pytest.raises(UnknownModalityError, match=listing):
        register_encoder("video", "x")
    ds = mm.Dataset.from_pandas(pd.DataFrame({"t": ["a"]}), text="t")
    with pytest.raises(UnknownModalityError, match=r"per modality \('text', 'image', 'audio'\)"):
        encode_dataset(ds, {"video": "x"}, cache=False, progress=False)
    with pytest.raises(UnknownModalityError):
        ds.item(0)["video"]
    assert isinstance(UnknownModalityError("x"), ValueError)  # what these raised before


def test_columns_and_keywords_name_each_modality_once(number):
    df = pd.DataFrame({"a": ["x"], "b": ["y"]})
    with pytest.raises(SchemaError, match=r"text columns are given twice \(as text= and in "):
        mm.Dataset.from_pandas(df, text="a", columns={"text": "b"})
    with pytest.raises(SchemaError, match="columns= maps each modality"):
        mm.Dataset.from_pandas(df, columns=["a"])
    with pytest.raises(SchemaError, match="number= takes a column name"):
        mm.Dataset.from_pandas(df, columns={"number": 5})
    with pytest.raises(SchemaError, match="'a' is given twice"):
        mm.Dataset.from_pandas(df, text="a", columns={"number": "a"})


def test_a_taken_name_needs_replace(number):
    other = ModalitySpec("number", accepts=callable, kinds="a callable", example="len")
    with pytest.raises(ValueError, match="registered already"):
        register_modality(other)
    register_modality(number)  # the same spec again: nothing changes
    assert get_modality("number") is number
    register_modality(other, replace=True)
    assert get_modality("number") is other


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "two words"}, "identifier"),
        ({"renderer": "video"}, "renderer must be one of"),
        ({"media": True}, "needs a loader"),
    ],
)
def test_bad_specs_are_refused(kwargs, message):
    fields = {"name": "thing", "accepts": callable, "kinds": "x", "example": "x"}
    with pytest.raises(ValueError, match=message):
        ModalitySpec(**{**fields, **kwargs})
