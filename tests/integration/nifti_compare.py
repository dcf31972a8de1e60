#!/usr/bin/python3
"""Compares two NIfTI files of the same scan with nibabel (an independent NIfTI reader).

  nifti_compare.py OURS.nii[.gz] REFERENCE.nii[.gz]

Prints one JSON object. The reference may store the grid in another axis order or direction
(dcm2niix flips rows): every voxel of OURS is matched to the reference voxel at the same
world (RAS mm) position through the two affines, which must differ by a signed permutation
of the axes. Values are compared after each file's scl_slope / scl_inter (NIfTI-1).
"""
import json
import sys

import nibabel as nib
import numpy as np


def main():
    ours, ref = nib.load(sys.argv[1]), nib.load(sys.argv[2])
    result = {
        "shape": list(ours.shape),
        "dtype": str(ours.get_data_dtype()),
        "scl_slope": float(ours.dataobj.slope),
        "scl_inter": float(ours.dataobj.inter),
        "qform_code": int(ours.header["qform_code"]),
        "sform_code": int(ours.header["sform_code"]),
        "vox_offset": int(ours.dataobj.offset),
        "qform_sform_max_diff": float(np.abs(ours.get_qform() - ours.get_sform()).max()),
    }
    # Our index -> reference index: must be a signed permutation plus an integer offset.
    t = np.linalg.inv(ref.affine) @ ours.affine
    rot = np.rint(t[:3, :3])
    result["max_index_error"] = float(np.abs(t[:3, :] - np.rint(t[:3, :])).max())
    ok = (np.abs(rot).sum(axis=0) == 1).all() and (np.abs(rot).sum(axis=1) == 1).all()
    result["axes_match"] = bool(ok)
    if not ok:
        print(json.dumps(result))
        return
    a = np.asanyarray(ours.dataobj).astype(np.float64)
    b = np.asanyarray(ref.dataobj).astype(np.float64)
    axis_of = [int(np.nonzero(rot[:, c])[0][0]) for c in range(3)]  # ref axis of our axis c
    sign = [int(rot[axis_of[c], c]) for c in range(3)]
    b = np.transpose(b[..., 0] if b.ndim == 4 else b, axes=axis_of)
    for c in range(3):
        if sign[c] < 0:
            b = np.flip(b, axis=c)
    offsets_ok = all(
        abs(t[axis_of[c], 3] - (0 if sign[c] > 0 else ours.shape[c] - 1)) < 1e-3
        for c in range(3))
    result["offsets_match"] = bool(offsets_ok)
    result["same_shape"] = a.shape == b.shape
    if a.shape == b.shape:
        diff = np.abs(a - b)
        result["max_abs_diff"] = float(diff.max())
        result["voxels_differing"] = int(np.count_nonzero(diff))
        result["max_abs_value"] = float(np.abs(a).max())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
