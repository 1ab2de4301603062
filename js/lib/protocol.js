// Message kinds between the widgets and Python.
// Keep in sync with mmwidgets/widgets/_protocol.py: same names, same values.
// A request is {kind, id, ...args}; its reply is {kind: REPLY, id, result} or {kind: REPLY, id, error}.
// Bulk bytes travel as binary buffers that a result names by index.

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

// Python -> front end
export const REPLY = "reply"; // the answer to one request
export const ITEMS = "items"; // unasked: payloads of items we will need, packed ahead
