"""Independent reference for `twinplan-cli metrics` (issue #16 item 6).

Writes two label images with nibabel, then computes the same measures with numpy and scipy:
Dice and Jaccard by voxel counts, surface distances between boundary voxel centres (a voxel
inside with a face neighbour outside or off the grid, found by scipy.ndimage binary erosion with
the 6-connected structure and a zero border) by scipy's cKDTree nearest-neighbour queries.
Prints the reference measures as JSON.

usage: segment_metrics.py OUT_DIR
"""
import json
import sys

import nibabel
import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

out = sys.argv[1]
spacing = np.array([0.8, 0.9, 2.0])
shape = (60, 50, 24)
ijk = np.indices(shape).reshape(3, -1).T * spacing
centre = np.array(shape) * spacing / 2
a = (np.sum(((ijk - centre) / [14.0, 11.0, 15.0]) ** 2, axis=1) < 1).reshape(shape)
b = (np.sum(((ijk - centre - [2.5, -1.0, 3.0]) / [12.0, 12.5, 13.0]) ** 2, axis=1) < 1).reshape(shape)
affine = np.diag([-spacing[0], -spacing[1], spacing[2], 1.0])  # RAS: LPS flipped
labels_a = a.astype(np.uint8) * 3
labels_b = b.astype(np.uint8) * 5
nibabel.save(nibabel.Nifti1Image(labels_a, affine), out + "/a.nii.gz")
nibabel.save(nibabel.Nifti1Image(labels_b, affine), out + "/b.nii.gz")


def surface(mask):
    interior = ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(3, 1),
                                      border_value=0)
    return np.argwhere(mask & ~interior) * spacing


sa, sb = surface(a), surface(b)
ab = cKDTree(sb).query(sa)[0]
ba = cKDTree(sa).query(sb)[0]
both = np.concatenate([ab, ba])
voxel_ml = spacing.prod() / 1000.0
print(json.dumps({
    "dice": 2.0 * np.sum(a & b) / (a.sum() + b.sum()),
    "jaccard": np.sum(a & b) / np.sum(a | b),
    "hausdorff_mm": max(ab.max(), ba.max()),
    "hausdorff95_mm": np.percentile(both, 95),
    "mean_surface_distance_mm": both.mean(),
    "volume_a_ml": a.sum() * voxel_ml,
    "volume_b_ml": b.sum() * voxel_ml,
}))
