// Message kinds and the other names on the wire between the widgets and Python.
// Keep in sync with mmwidgets/widgets/_protocol.py: same names, same values
// (tests/unit/test_protocol_sync.py imports this module and compares).
// A request is {kind, id, ...args}; its reply is {kind: REPLY, id, result} or {kind: REPLY, id, error}.
// Bulk bytes travel as binary buffers: an encoded file is named by its index in the message's
// buffers, a numeric array by {buffer, dtype, shape} (codecs.js).

// requests (front end -> Python)
export const SYNC = "sync"; // the ranked queue now, with media of the items we lack
export const LABEL = "label"; // label one item, then answer as SYNC does
export const SKIP = "skip"; // skip one item, then answer as SYNC does
export const UNDO = "undo"; // undo the latest label or skip, then answer as SYNC does
export const HISTORY = "history"; // the item before/after a given one in the history
export const ITEM = "item"; // one item with its media
export const IMAGE = "image"; // one image at a larger size (zoom)
export const PAGE = "page"; // a gallery page: the next n queued items
export const LABEL_MANY = "label_many"; // a gallery's batch of labels
export const DRILL = "drill"; // a dashboard: open a review Gallery (a confusion cell, or the suspects)
export const POINTS = "points"; // an embedding map: the 2-D layout and colours of every item, as buffers
export const SELECT = "select"; // an embedding map: label a lasso selection, or open it in a Gallery
export const SEARCH = "search"; // a gallery: show the items that match a text query
export const SIMILAR = "similar"; // a gallery: show the items most like one item

// Python -> front end
export const REPLY = "reply"; // the answer to one request
export const ITEMS = "items"; // unasked: payloads of items we will need, packed ahead

export const REQUEST_KINDS = [SYNC, LABEL, SKIP, UNDO, HISTORY, ITEM, IMAGE, PAGE, LABEL_MANY, DRILL, POINTS, SELECT, SEARCH, SIMILAR];

// what a SELECT request does with the selection (its "action"); LABEL (above) labels it all
export const GALLERY = "gallery"; // open the selection in a review Gallery
export const SELECT_ACTIONS = [LABEL, GALLERY];

// what an embedding map's points are coloured by (its synced color_by)
export const BY_LABEL = "label"; // the stored label
export const BY_PREDICTION = "prediction"; // the model's predicted label
export const BY_UNCERTAINTY = "uncertainty"; // 1 - confidence of the prediction, on a ramp
export const COLOR_BY = [BY_LABEL, BY_PREDICTION, BY_UNCERTAINTY];

// dtypes of numeric buffers on the wire (numpy's spelling; all little-endian)
export const FLOAT32 = "<f4"; // positions, confidences, waveform peaks
export const INT16 = "<i2"; // label and prediction indexes (-1: none)
export const INT32 = "<i4"; // map rows (a selection)
export const DTYPES = [FLOAT32, INT16, INT32];
