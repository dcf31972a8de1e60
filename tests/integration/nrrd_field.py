#!/usr/bin/python3
"""Reads a float or uint16 (labelmap) NRRD field (raw or gzip encoding) without TwinPlan or ITK, for the ablate CLI
test: prints JSON with the space origin, sizes, the maximum, the number of voxels at or above a
threshold, and the value at one voxel index. Usage: nrrd_field.py FILE THRESHOLD I J K"""
import gzip
import json
import sys

import numpy as np

# NRRD type names (NRRD0004 spec, "type") this reader takes, as little-endian numpy dtypes.
DTYPES = {"float": "<f4", "ushort": "<u2", "unsigned short": "<u2", "uint16": "<u2",
          "uint16_t": "<u2", "unsigned short int": "<u2"}


def read_nrrd(path):
    with open(path, "rb") as f:
        data = f.read()
    header_end = data.index(b"\n\n")
    header = {}
    for line in data[:header_end].decode("ascii").splitlines()[1:]:
        if line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        header[key.strip()] = value.strip()
    payload = data[header_end + 2:]
    if header.get("encoding") == "gzip":
        payload = gzip.decompress(payload)
    assert header["type"] in DTYPES, header["type"]
    assert header.get("endian", "little") == "little"
    sizes = [int(s) for s in header["sizes"].split()]
    values = np.frombuffer(payload, dtype=DTYPES[header["type"]]).reshape(sizes[::-1])  # k, j, i
    origin = [float(x) for x in header["space origin"].strip("()").split(",")]
    return header, sizes, origin, values


def main():
    path, threshold = sys.argv[1], float(sys.argv[2])
    i, j, k = (int(x) for x in sys.argv[3:6])
    header, sizes, origin, values = read_nrrd(path)
    print(json.dumps({
        "space": header.get("space"),
        "sizes": sizes,
        "origin": origin,
        "max": float(values.max()),
        "at_or_above": int((values >= threshold).sum()),
        "value_at": float(values[k, j, i]),
    }))


if __name__ == "__main__":
    main()
