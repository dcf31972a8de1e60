"""Independent reader for the sphere-convergence test (tests/integration/
segmentation_sphere_convergence_test.cpp): enclosed volume and area of binary STL and glTF 2.0
binary (.glb) files, parsed here with struct and numpy, not with TwinPlan's reader.

STL: 80-byte header, uint32 triangle count, then per triangle 12 float32 (normal, 3 vertices)
and a uint16 attribute (the binary STL layout). GLB: 12-byte header, a JSON chunk and a BIN
chunk (Khronos glTF 2.0 spec, section 4.4 "GLB File Format Specification"); each mesh
primitive's POSITION accessor (float32 VEC3) and its indices (uint32/uint16/uint8 SCALAR)
give the triangles. glTF positions are in metres (spec 3.4): reported volumes are converted to
mm3 and areas to mm2. The frame's rotation (x = L, y = S, z = A) keeps volumes and areas.

Volume: divergence theorem, sum of a . (b x c) / 6 over the triangles; area: sum of
|(b - a) x (c - a)| / 2.

usage: mesh_measure.py FILE... -> one JSON object {file: {"volume_mm3", "area_mm2", "triangles"}}
"""
import json
import struct
import sys

import numpy as np

COMPONENTS = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}


def measure(corners):
    a, b, c = corners[:, 0, :], corners[:, 1, :], corners[:, 2, :]
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0
    area = np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2.0
    return float(volume), float(area)


def read_stl(path):
    data = open(path, "rb").read()
    (count,) = struct.unpack_from("<I", data, 80)
    if len(data) != 84 + 50 * count:
        raise ValueError(f"{path}: {len(data)} bytes for {count} triangles")
    record = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])
    triangles = np.frombuffer(data, dtype=record, count=count, offset=84)
    return triangles["corners"].astype(np.float64), 1.0


def accessor_array(gltf, binary, index):
    accessor = gltf["accessors"][index]
    view = gltf["bufferViews"][accessor["bufferView"]]
    dtype = COMPONENTS[accessor["componentType"]]
    width = {"SCALAR": 1, "VEC3": 3}[accessor["type"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    values = np.frombuffer(binary, dtype=dtype, count=accessor["count"] * width, offset=start)
    return values.reshape(-1, width) if width > 1 else values


def read_glb(path):
    data = open(path, "rb").read()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF" or version != 2 or length != len(data):
        raise ValueError(f"{path}: not a glTF 2.0 binary")
    json_length, json_type = struct.unpack_from("<I4s", data, 12)
    gltf = json.loads(data[20 : 20 + json_length])
    bin_start = 20 + json_length
    bin_length, bin_type = struct.unpack_from("<I4s", data, bin_start)
    if json_type != b"JSON" or bin_type != b"BIN\0":
        raise ValueError(f"{path}: chunks are not JSON then BIN")
    binary = data[bin_start + 8 : bin_start + 8 + bin_length]
    corners = []
    for mesh in gltf["meshes"]:
        for primitive in mesh["primitives"]:
            if primitive.get("mode", 4) != 4:
                raise ValueError(f"{path}: a primitive is not TRIANGLES")
            points = accessor_array(gltf, binary, primitive["attributes"]["POSITION"])
            indices = accessor_array(gltf, binary, primitive["indices"]).reshape(-1, 3)
            corners.append(points[indices].astype(np.float64))
    return np.concatenate(corners), 1000.0  # metres -> mm


def main():
    result = {}
    for path in sys.argv[1:]:
        corners, to_mm = read_glb(path) if path.lower().endswith(".glb") else read_stl(path)
        volume, area = measure(corners)
        result[path] = {
            "volume_mm3": volume * to_mm**3,
            "area_mm2": area * to_mm**2,
            "triangles": int(corners.shape[0]),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
