#!/usr/bin/python3
"""Radiological path length (mm of water) through a CT series, independently of TwinPlan:
pydicom reads the slices, numpy maps HU to relative electron density with the same table
(linear interpolation, clamped: numpy.interp), densities below 0.02 count as vacuum (TwinPlan's
kVacuumBelowDensity), and the segment is sampled every 0.005 mm, nearest voxel (axial slices,
identity orientation).

usage: radiological_depth_probe.py CT_FOLDER TABLE.json X0 Y0 Z0 X1 Y1 Z1
"""
import glob
import json
import sys

import numpy as np
import pydicom

files = sorted(glob.glob(sys.argv[1] + "/*.dcm"))
slices = sorted((pydicom.dcmread(f) for f in files), key=lambda d: float(d.ImagePositionPatient[2]))
hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in slices])
table = json.load(open(sys.argv[2]))["points"]
red = np.interp(hu, [p["hu"] for p in table], [p["red"] for p in table])
red[red < 0.02] = 0.0
ipp = np.array([float(v) for v in slices[0].ImagePositionPatient])
dz = float(slices[1].ImagePositionPatient[2]) - ipp[2]
row_spacing, col_spacing = (float(v) for v in slices[0].PixelSpacing)
a = np.array([float(v) for v in sys.argv[3:6]])
b = np.array([float(v) for v in sys.argv[6:9]])
length = np.linalg.norm(b - a)
step = 0.005
t = (np.arange(int(length / step)) + 0.5) * step
p = a + np.outer(t / length, b - a)
i = np.rint((p[:, 0] - ipp[0]) / col_spacing).astype(int)
j = np.rint((p[:, 1] - ipp[1]) / row_spacing).astype(int)
k = np.rint((p[:, 2] - ipp[2]) / dz).astype(int)
inside = (i >= 0) & (i < red.shape[2]) & (j >= 0) & (j < red.shape[1]) & (k >= 0) & (k < red.shape[0])
print(json.dumps({"radiological_mm": float(red[k[inside], j[inside], i[inside]].sum() * step),
                  "geometric_mm": float(length)}))
