#!/usr/bin/python3
"""An independent safetensors reader for the tests, written from the format's specification (huggingface/safetensors
README) with numpy only: 8 bytes little-endian u64 N, N bytes of UTF-8 JSON starting with '{' (trailing spaces
allowed), then the byte buffer. The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end)}
relative to the buffer, plus an optional "__metadata__" of strings; tensors are little-endian, row-major, and the
buffer is covered exactly once, without holes. Any violation exits 1 with one line on stderr.

usage: /usr/bin/python3 tests/Shared/read_safetensors.py FILE [--values]
Prints JSON: {"header_bytes": N, "metadata": {...}, "tensors": [{"name", "dtype", "shape", "sha256", "values"?}]}
in header order; sha256 is over the tensor's little-endian bytes as numpy decoded them; --values adds every value."""
import hashlib, json, struct, sys
import numpy as np

DTYPES = {"BOOL": "?", "U8": "u1", "I8": "i1", "I16": "<i2", "U16": "<u2", "F16": "<f2", "I32": "<i4", "U32": "<u4",
          "F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8"}


def fail(msg):
    sys.exit(f"safetensors: {msg}")


def pairs_without_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        fail("duplicate keys in the header")
    return dict(pairs)


def read(path, values):
    data = open(path, "rb").read()
    if len(data) < 8:
        fail("shorter than the 8-byte header size")
    n = struct.unpack("<Q", data[:8])[0]
    if 8 + n > len(data):
        fail(f"header size {n} runs past the end of the file")
    text = data[8:8 + n].decode("utf-8")
    if not text.startswith("{"):
        fail("header does not start with '{'")
    header = json.loads(text.rstrip(" "), object_pairs_hook=pairs_without_duplicates)
    meta = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        fail("__metadata__ must map strings to strings")
    buffer = data[8 + n:]
    spans, tensors = [], []
    for name, e in header.items():
        if set(e) != {"dtype", "shape", "data_offsets"}:
            fail(f"{name}: entry has keys {sorted(e)}")
        if e["dtype"] not in DTYPES:
            fail(f"{name}: unknown dtype {e['dtype']}")
        dt = np.dtype(DTYPES[e["dtype"]])
        shape = e["shape"]
        begin, end = e["data_offsets"]
        if not (0 <= begin <= end <= len(buffer)):
            fail(f"{name}: data_offsets [{begin}, {end}) outside the {len(buffer)}-byte buffer")
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dt.itemsize:
            fail(f"{name}: {end - begin} bytes for shape {shape} of {e['dtype']}")
        arr = np.frombuffer(buffer[begin:end], dtype=dt).reshape(shape)
        item = {"name": name, "dtype": e["dtype"], "shape": shape,
                "sha256": hashlib.sha256(arr.astype(dt.newbyteorder("<"), copy=False).tobytes()).hexdigest()}
        if values:
            item["values"] = arr.flatten().tolist()
        tensors.append(item)
        spans.append((begin, end, name))
    at = 0
    for begin, end, name in sorted(spans):
        if begin != at:
            fail(f"{name}: starts at {begin}, the buffer's previous tensor ends at {at} (a hole or an overlap)")
        at = end
    if at != len(buffer):
        fail(f"{len(buffer) - at} bytes after the last tensor")
    return {"header_bytes": n, "metadata": meta, "tensors": tensors}


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or len(sys.argv) == 3 and sys.argv[2] != "--values":
        sys.exit(__doc__)
    json.dump(read(sys.argv[1], len(sys.argv) == 3), sys.stdout)
