"""Column-wise text building with Arrow compute: joins, padding, quoting and XML escaping.

The writers build every line of a state's files with a handful of calls per column instead
of one Python operation per value. All arrays are Arrow `large_string`; plain `str` arguments
are broadcast as scalars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT = pa.large_string()
Piece = pa.Array | str


def arrow(values: pd.Series | np.ndarray | list[str]) -> pa.Array:
    """A large_string Arrow array of text values (missing values become empty strings)."""
    array = pa.array(values)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pc.fill_null(array.cast(TEXT), "")


def _arg(piece: Piece) -> pa.Array | pa.Scalar:
    return pa.scalar(piece, TEXT) if isinstance(piece, str) else piece


def concat(pieces: list[Piece], separator: str = "") -> pa.Array:
    """Element-wise concatenation of arrays and broadcast strings, with a separator between."""
    return pc.binary_join_element_wise(*(_arg(p) for p in pieces), pa.scalar(separator, TEXT))


def blank_if_empty(values: pa.Array, text: pa.Array) -> pa.Array:
    """`text` where `values` is non-empty, else the empty string."""
    return pc.if_else(pc.equal(values, ""), pa.scalar("", TEXT), text)


def quoted(values: pa.Array, delimiter: str) -> pa.Array:
    """RFC 4180 quoting of the values holding a quote, line break or the delimiter."""
    pattern = '["\r\n]' if not delimiter else '["\r\n' + _class_escape(delimiter) + "]"
    needs = pc.match_substring_regex(values, pattern)
    if not pc.any(needs).as_py():
        return values
    wrapped = concat(['"', pc.replace_substring(values, '"', '""'), '"'])
    return pc.if_else(needs, wrapped, values)


def _class_escape(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


def padded(values: pa.Array, width: int) -> pa.Array:
    """Values cut to `width` characters and right-padded with spaces to exactly `width`."""
    return pc.utf8_rpad(pc.utf8_slice_codeunits(values, 0, width), width, " ")


def xml_escaped(values: pa.Array) -> pa.Array:
    """Text with &, < and > escaped for XML element content."""
    if not pc.any(pc.match_substring_regex(values, "[&<>]")).as_py():
        return values
    out = pc.replace_substring(values, "&", "&amp;")
    out = pc.replace_substring(out, "<", "&lt;")
    return pc.replace_substring(out, ">", "&gt;")


def byte_range(values: pa.Array, start: int, stop: int) -> bytes:
    """The UTF-8 bytes of values[start:stop] laid end to end (no separator added)."""
    if stop <= start:
        return b""
    offsets_buffer, data_buffer = values.buffers()[1:3]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)
    first, last = offsets[values.offset + start], offsets[values.offset + stop]
    return data_buffer.slice(int(first), int(last - first)).to_pybytes()
