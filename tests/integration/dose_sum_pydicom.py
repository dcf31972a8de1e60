#!/usr/bin/python3
"""pydicom + numpy check of `twinplan-cli dose-sum` / `dose-diff` outputs, and their bad inputs.

usage: dose_sum_pydicom.py expect OUT W1 FILE1 [W2 FILE2 ...]
           -> JSON: OUT's attributes and its dose (stored x Dose Grid Scaling) against
              sum_i W_i dose_i computed here; "step_gy" is the rounding allowed: half a stored
              step of OUT plus |W_i| x half a step of each input.
       dose_sum_pydicom.py fixtures SOURCE DIR
           -> DIR/shifted.dcm (the grid 1 mm along x), DIR/physical.dcm (Dose Type PHYSICAL),
              DIR/other_frame.dcm (another Frame of Reference UID)
"""
import json
import os
import sys

import numpy as np
import pydicom


def dose_of(ds):
    return ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)


def expect(out, pairs):
    ds = pydicom.dcmread(out)
    expected = None
    step = 0.5 * float(ds.DoseGridScaling)
    first = None
    for weight, path in pairs:
        source = pydicom.dcmread(path)
        first = first or source
        term = float(weight) * dose_of(source)
        expected = term if expected is None else expected + term
        step += 0.5 * abs(float(weight)) * float(source.DoseGridScaling)
    got = dose_of(ds)
    plan = ds.ReferencedRTPlanSequence[0] if "ReferencedRTPlanSequence" in ds else None
    print(json.dumps({
        "max_abs_diff_gy": float(np.abs(got - expected).max()), "step_gy": step,
        "min_gy": float(got.min()), "expected_min_gy": float(expected.min()),
        "max_gy": float(got.max()), "expected_max_gy": float(expected.max()),
        "dose_type": ds.DoseType, "summation": ds.DoseSummationType,
        "pixel_representation": int(ds.PixelRepresentation),
        "frame_of_reference": ds.FrameOfReferenceUID,
        "same_frame_as_first": ds.FrameOfReferenceUID == first.FrameOfReferenceUID,
        "same_grid_as_first": list(ds.ImagePositionPatient) == list(first.ImagePositionPatient)
        and got.shape == expected.shape,
        "plan_uid": plan.ReferencedSOPInstanceUID if plan is not None else "",
        "first_plan_uid": first.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID
        if "ReferencedRTPlanSequence" in first else "",
    }))


def fixtures(source, folder):
    def shifted(ds):
        ds.ImagePositionPatient[0] = float(ds.ImagePositionPatient[0]) + 1.0

    def physical(ds):
        ds.DoseType = "PHYSICAL"

    def other_frame(ds):
        ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.10.1011.1.2.4"

    for change in (shifted, physical, other_frame):
        ds = pydicom.dcmread(source)
        change(ds)
        ds.save_as(os.path.join(folder, change.__name__ + ".dcm"))


if __name__ == "__main__":
    if sys.argv[1] == "expect":
        expect(sys.argv[2], list(zip(sys.argv[3::2], sys.argv[4::2])))
    else:
        fixtures(sys.argv[2], sys.argv[3])
