#!/usr/bin/python3
"""Reads the ablate CLI's margin_map.ply and damage.nrrd without TwinPlan, for the CLI test:
checks each vertex's margin against the damage field itself (the zone is Omega >= 1). A vertex
more than `clearance` mm inside the zone (margin > clearance) must lie in a voxel with
Omega >= 1, one more than `clearance` mm outside (margin < -clearance) in a voxel with Omega < 1.
Prints JSON: vertices, faces, min and max margin, the count of vertices whose colour is not
their class's, and the count that disagrees with the damage field.
Usage: margin_map_ply.py PLY DAMAGE_NRRD CLEARANCE_MM ADEQUATE_MM"""
import json
import sys

import numpy as np

from nrrd_field import read_nrrd

RED, AMBER, GREEN = (215, 48, 39), (253, 174, 97), (26, 152, 80)


def read_ply(path):
    with open(path, "rb") as f:
        data = f.read()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii").splitlines()
    assert header[1] == "format binary_little_endian 1.0", header[1]
    vertices = int(next(l for l in header if l.startswith("element vertex")).split()[2])
    faces = int(next(l for l in header if l.startswith("element face")).split()[2])
    props = [l.split()[2] for l in header if l.startswith("property ") and "list" not in l]
    assert props == ["x", "y", "z", "red", "green", "blue", "margin_mm"], props
    vertex = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"), ("green", "u1"),
                       ("blue", "u1"), ("margin_mm", "<f4")])
    v = np.frombuffer(data, dtype=vertex, count=vertices, offset=end)
    face = np.dtype([("n", "u1"), ("ids", "<i4", (3,))])
    f = np.frombuffer(data, dtype=face, count=faces, offset=end + vertices * vertex.itemsize)
    assert (f["n"] == 3).all() and f["ids"].min() >= 0 and f["ids"].max() < vertices
    return v, f


def main():
    ply, nrrd, clearance, adequate = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    v, f = read_ply(ply)
    header, sizes, origin, damage = read_nrrd(nrrd)
    spacing = [float(row.strip("()").split(",")[a])
               for a, row in enumerate(header["space directions"].split())]
    index = [np.rint((v[c] - origin[a]) / spacing[a]).astype(int) for a, c in enumerate("xyz")]
    inside_grid = np.all([(index[a] >= 0) & (index[a] < sizes[a]) for a in range(3)], axis=0)
    m = v["margin_mm"]
    omega = np.full(len(v), np.nan)
    omega[inside_grid] = damage[index[2][inside_grid], index[1][inside_grid], index[0][inside_grid]]
    wrong = ((m > clearance) & inside_grid & (omega < 1.0)) | \
            ((m < -clearance) & inside_grid & (omega >= 1.0))
    colour = np.stack([v["red"], v["green"], v["blue"]], axis=1)
    expected = np.where((m < 0)[:, None], RED, np.where((m < adequate)[:, None], AMBER, GREEN))
    print(json.dumps({
        "vertices": int(len(v)),
        "faces": int(len(f)),
        "min_margin_mm": float(m.min()),
        "max_margin_mm": float(m.max()),
        "checked": int(((np.abs(m) > clearance) & inside_grid).sum()),
        "disagreeing_with_damage": int(wrong.sum()),
        "wrong_colour": int((colour != expected).any(axis=1).sum()),
    }))


if __name__ == "__main__":
    main()
