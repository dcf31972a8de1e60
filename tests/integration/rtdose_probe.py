#!/usr/bin/python3
"""Reads an RT Dose with pydicom (an independent reader) and prints JSON: its references, units,
maximum, and the dose at an LPS point (nearest voxel; axial grids).

usage: rtdose_probe.py RD.dcm X Y Z
"""
import json
import sys

import numpy as np
import pydicom

ds = pydicom.dcmread(sys.argv[1])
point = np.array([float(v) for v in sys.argv[2:5]])
dose = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)  # frames, rows, columns
ipp = np.array([float(v) for v in ds.ImagePositionPatient])
row_spacing, col_spacing = (float(v) for v in ds.PixelSpacing)
offsets = np.array([float(v) for v in ds.GridFrameOffsetVector])
column = int(round((point[0] - ipp[0]) / col_spacing))
row = int(round((point[1] - ipp[1]) / row_spacing))
frame = int(np.argmin(np.abs(offsets - (point[2] - ipp[2]))))
print(json.dumps({
    "referenced_plan": ds.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID,
    "frame_of_reference": ds.FrameOfReferenceUID,
    "study": ds.StudyInstanceUID,
    "summation": ds.DoseSummationType,
    "units": ds.DoseUnits,
    "max_gy": float(dose.max()),
    "dose_at_point_gy": float(dose[frame, row, column]),
    "frames": int(dose.shape[0]), "rows": int(dose.shape[1]), "columns": int(dose.shape[2]),
}))
