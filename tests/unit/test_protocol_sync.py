"""The protocol is data on both sides, and both sides agree on it.

``mmwidgets/widgets/_protocol.py`` and ``js/lib/protocol.js`` name the same message kinds,
selection actions, colour-by names and wire dtypes with the same values; the array codec
(``_codec.py`` <-> ``js/lib/codecs.js``) round-trips from Python through JavaScript and back.
Both checks run the real JS modules in ``node`` (which ``make setup`` installs to build them).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mmwidgets.widgets import _protocol, embedding_map
from mmwidgets.widgets._base import Outbox
from mmwidgets.widgets._codec import decode_array, encode_array

ROOT = Path(__file__).resolve().parents[2]
JS_LIB = ROOT / "js" / "lib"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (make setup)")


def run_module(source: str, cwd: Path) -> str:
    """Run ``source`` as an ES module in node; its stdout."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", source],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def js_constants() -> dict[str, Any]:
    url = (JS_LIB / "protocol.js").as_uri()
    out = run_module(
        f"const m = await import({json.dumps(url)});\n"
        "const data = Object.entries(m).filter(([, v]) => typeof v !== 'function');\n"
        "console.log(JSON.stringify(Object.fromEntries(data)));",
        ROOT,
    )
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def py_constants() -> dict[str, Any]:
    """The protocol's named values (upper-case names in ``__all__``), JSON-shaped."""
    names = [n for n in _protocol.__all__ if n.isupper()]
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(_protocol, name)
        if isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        assert isinstance(value, str | list), f"{name} is not data: {value!r}"
        values[name] = value
    return values


@needs_node
def test_python_and_javascript_name_the_same_constants_with_the_same_values():
    py, js = py_constants(), js_constants()
    assert sorted(js) == sorted(py), "named on one side only"
    for name, value in py.items():
        if name == "REQUEST_KINDS":  # a set in Python, a list in JS: same members, no repeats
            assert sorted(js[name]) == value
            assert len(set(js[name])) == len(js[name])
        else:
            assert js[name] == value, name
    # the groups hold the single names, so a kind added to one list is added to the other
    assert set(py["REQUEST_KINDS"]) == {
        py[n] for n in ("SYNC", "LABEL", "SKIP", "UNDO", "HISTORY", "ITEM", "IMAGE", "PAGE")
    } | {py[n] for n in ("LABEL_MANY", "DRILL", "POINTS", "SELECT", "SEARCH", "SIMILAR")}
    assert py["SELECT_ACTIONS"] == [py["LABEL"], py["GALLERY"]]
    assert py["COLOR_BY"] == [py["BY_LABEL"], py["BY_PREDICTION"], py["BY_UNCERTAINTY"]]
    assert py["DTYPES"] == [py["FLOAT32"], py["INT16"], py["INT32"]]
    assert all(d.startswith("<") for d in py["DTYPES"])  # little-endian on the wire
    assert py["REPLY"] not in py["REQUEST_KINDS"]
    assert py["ITEMS"] not in py["REQUEST_KINDS"]


def test_the_widgets_use_the_protocol_names():
    assert embedding_map.COLOR_BY is _protocol.COLOR_BY


def test_no_javascript_module_spells_a_wire_dtype_itself():
    # the dtypes are named once, in protocol.js; everything else imports them
    spelled = re.compile(r"""["']<[fi][248]["']""")
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "js").rglob("*.js"))
        if p.name != "protocol.js" and spelled.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (np.array([[0.5, -1.0], [np.inf, 3.25], [np.nan, 0.0]]), _protocol.FLOAT32),
        (np.array([-1, 0, 32767, -32768]), _protocol.INT16),
        (np.array([2**31 - 1, -7, 0]), _protocol.INT32),
        (np.zeros((0, 2)), _protocol.FLOAT32),
    ],
)
def test_an_array_round_trips_within_python(values, dtype):
    out = Outbox()
    spec = encode_array(values, out, dtype)
    assert spec == {"buffer": 0, "dtype": dtype, "shape": list(values.shape)}
    back = decode_array(spec, [memoryview(b) for b in out.buffers])  # as buffers come off the wire
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, values.astype(dtype))


def test_lossy_encodings_are_refused():
    with pytest.raises(ValueError, match="do not fit int16"):
        encode_array(np.array([40000]), Outbox(), _protocol.INT16)
    with pytest.raises(ValueError, match="int32 holds integers; got float64"):
        encode_array(np.array([1.5]), Outbox(), _protocol.INT32)
    with pytest.raises(ValueError, match="dtype '<f8' is not on the wire"):
        encode_array(np.array([1.5]), Outbox(), "<f8")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([0], "an array is named by {buffer, dtype, shape}"),
        ({"buffer": 1, "dtype": "<i4", "shape": [1]}, "buffer 1 is not in the message"),
        ({"buffer": True, "dtype": "<i4", "shape": [1]}, "buffer True is not in the message"),
        ({"buffer": 0, "dtype": "<i4", "shape": "1"}, "shape is a list of sizes"),
        ({"buffer": 0, "dtype": "<i4", "shape": [-1]}, "shape is a list of sizes"),
        ({"buffer": 0, "dtype": "<i4", "shape": [3]}, "2 int32 values do not make shape [3]"),
        ({"buffer": 0, "dtype": "<f2", "shape": [4]}, "dtype '<f2' is not on the wire"),
        ({"buffer": 0, "dtype": "<i2", "shape": [4]}, None),
    ],
)
def test_a_spec_that_does_not_match_its_bytes_says_why(spec, message):
    buffers = [np.array([1, 2], dtype="<i4").tobytes()]
    if message is None:
        assert decode_array(spec, buffers).tolist() == [1, 0, 2, 0]
    else:
        with pytest.raises(ValueError, match=re.escape(message)):
            decode_array(spec, buffers)


@needs_node
def test_arrays_round_trip_python_to_javascript_and_back(tmp_path):
    arrays = {
        "xy": (np.array([[0.5, -1.0], [np.inf, 3.25], [np.nan, 1e-8]]), _protocol.FLOAT32),
        "label": (np.array([-1, 0, 2, 32767]), _protocol.INT16),
        "rows": (np.array([7, 0, 2**31 - 1]), _protocol.INT32),
        "empty": (np.zeros(0), _protocol.FLOAT32),
    }
    buffers: list[bytes] = [b"an image first, so indexes are not all 0"]
    specs = {name: encode_array(v, buffers, dtype) for name, (v, dtype) in arrays.items()}
    for i, data in enumerate(buffers):
        (tmp_path / f"in{i}.bin").write_bytes(data)
    (tmp_path / "specs.json").write_text(json.dumps(specs))
    # JS decodes each array (checking dtype and shape), then encodes it again for Python
    codecs = (JS_LIB / "codecs.js").as_uri()
    out = run_module(
        f"import {{ arrayAt, encodeArray }} from {json.dumps(codecs)};\n"
        "import { readFileSync, writeFileSync } from 'node:fs';\n"
        "const specs = JSON.parse(readFileSync('specs.json', 'utf8'));\n"
        f"const buffers = Array.from({{ length: {len(buffers)} }}, (_, i) => {{\n"
        "  const b = readFileSync(`in${i}.bin`);\n"
        "  return new DataView(b.buffer, b.byteOffset, b.byteLength);\n"
        "});\n"
        "const back = [], answer = {};\n"
        "for (const [name, spec] of Object.entries(specs)) {\n"
        "  const values = arrayAt(buffers, spec, name);\n"
        "  const again = encodeArray(values, back, spec.shape);\n"
        "  answer[name] = { spec: again, type: values.constructor.name };\n"
        "}\n"
        "back.forEach((b, i) => writeFileSync(`out${i}.bin`, new Uint8Array(b)));\n"
        "console.log(JSON.stringify(answer));",
        tmp_path,
    )
    answer = json.loads(out)
    returned = [(tmp_path / f"out{i}.bin").read_bytes() for i in range(len(arrays))]
    typed = {_protocol.FLOAT32: "Float32Array", _protocol.INT16: "Int16Array"}
    for name, (values, dtype) in arrays.items():
        assert answer[name]["type"] == typed.get(dtype, "Int32Array")
        assert answer[name]["spec"]["dtype"] == dtype
        assert answer[name]["spec"]["shape"] == list(values.shape)
        back = decode_array(answer[name]["spec"], returned)
        np.testing.assert_array_equal(back, values.astype(dtype))
