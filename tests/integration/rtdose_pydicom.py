#!/usr/bin/python3
"""pydicom's view of an RT Dose, and RT Dose variants made from one (test inputs).

usage: rtdose_pydicom.py read FILE            -> JSON on stdout: the RT Dose attributes, the
                                                 dose (stored x Dose Grid Scaling) max, sum and
                                                 three voxels [k, j, i]
       rtdose_pydicom.py variants SOURCE DIR  -> DIR/absolute_offsets.dcm (Grid Frame Offset
                                                 Vector as absolute z, PS3.3 C.8.8.3.2),
                                                 DIR/relative_units.dcm (Dose Units RELATIVE),
                                                 DIR/no_scaling.dcm (Dose Grid Scaling removed),
                                                 DIR/other_frame.dcm (another Frame of Reference)
"""
import json
import os
import sys

import numpy as np
import pydicom


def read(path):
    ds = pydicom.dcmread(path)
    dose = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
    plan = ds.ReferencedRTPlanSequence[0] if "ReferencedRTPlanSequence" in ds else None
    beams = []
    group = None
    if plan is not None and "ReferencedFractionGroupSequence" in plan:
        fg = plan.ReferencedFractionGroupSequence[0]
        group = int(fg.ReferencedFractionGroupNumber)
        beams = [int(b.ReferencedBeamNumber) for b in fg.get("ReferencedBeamSequence", [])]
    picks = [[0, 0, 0], [dose.shape[0] // 2, dose.shape[1] // 2, dose.shape[2] // 2],
             [dose.shape[0] - 1, dose.shape[1] // 3, dose.shape[2] - 1]]
    print(json.dumps({
        "sop_class": ds.SOPClassUID, "modality": ds.Modality,
        "dose_units": ds.DoseUnits, "dose_type": ds.DoseType,
        "summation": ds.DoseSummationType, "frame_of_reference": ds.FrameOfReferenceUID,
        "frames": int(ds.NumberOfFrames), "rows": int(ds.Rows), "columns": int(ds.Columns),
        "ipp": [float(v) for v in ds.ImagePositionPatient],
        "spacing": [float(v) for v in ds.PixelSpacing],
        "offsets": [float(v) for v in ds.GridFrameOffsetVector],
        "plan_uid": plan.ReferencedSOPInstanceUID if plan is not None else "",
        "fraction_group": group, "beams": beams,
        "max_gy": float(dose.max()), "sum_gy": float(dose.sum()),
        "picks": picks, "pick_values_gy": [float(dose[k, j, i]) for k, j, i in picks],
    }))


def variants(source, folder):
    ds = pydicom.dcmread(source)
    z0 = float(ds.ImagePositionPatient[2])
    absolute = [z0 + float(v) for v in ds.GridFrameOffsetVector]
    ds.GridFrameOffsetVector = [f"{v:.4f}" for v in absolute]
    ds.save_as(os.path.join(folder, "absolute_offsets.dcm"))
    ds = pydicom.dcmread(source)
    ds.DoseUnits = "RELATIVE"
    ds.save_as(os.path.join(folder, "relative_units.dcm"))
    ds = pydicom.dcmread(source)
    del ds.DoseGridScaling
    ds.save_as(os.path.join(folder, "no_scaling.dcm"))
    ds = pydicom.dcmread(source)
    ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.10.1011.1.2.3"
    ds.save_as(os.path.join(folder, "other_frame.dcm"))


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2])
    else:
        variants(sys.argv[2], sys.argv[3])
