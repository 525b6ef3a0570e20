#!/usr/bin/env python3
"""Copies a GGUF file with one F32 weight replaced: gguf_set_weight.py IN OUT TENSOR INDEX VALUE
(VALUE: nan, inf, or a number). For tests of NaN/Inf weights; standard library only."""
import struct
import sys

SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def main(src, dst, tensor, index, value):
    data = bytearray(open(src, "rb").read())
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        pos += n
        return data[pos - n:pos].decode()

    def value_of(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("I"), take("Q")
            return [value_of(et) for _ in range(n)]
        return take(SCALAR[t])

    assert data[:4] == b"GGUF", "not a GGUF file"
    pos = 4
    take("I")
    n_tensors, n_kv = take("Q"), take("Q")
    alignment = 32
    for _ in range(n_kv):
        key = string()
        v = value_of(take("I"))
        if key == "general.alignment":
            alignment = v
    tensors = {}
    for _ in range(n_tensors):
        name = string()
        dims = [take("Q") for _ in range(take("I"))]
        ttype, offset = take("I"), take("Q")
        tensors[name] = (ttype, offset)
    data_start = (pos + alignment - 1) // alignment * alignment
    ttype, offset = tensors[tensor]
    assert ttype == 0, f"{tensor} is not F32"
    struct.pack_into("<f", data, data_start + offset + 4 * int(index), float(value))
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main(*sys.argv[1:6])
