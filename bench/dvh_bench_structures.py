#!/usr/bin/python3
"""A 20-ROI structure set on the RayStation phantom for the DVH benchmark (bench/dvh_bench.cpp).

usage: dvh_bench_structures.py RS.dcm OUTPUT

Keeps RS.dcm's 4 closed ROIs (Cube101010, Slope101004, External, PMMA; LoPo is a POINT and is
dropped) and adds 16 spheres (radius 8..68 mm, 4 mm apart) contoured as 64-gons on planes 2.5 mm
apart, centred along a diagonal inside the dose grid, in the same frame of reference.
"""
import copy
import math
import sys

import pydicom
from pydicom.sequence import Sequence

ds = pydicom.dcmread(sys.argv[1])
keep = [n for n, roi in enumerate(ds.StructureSetROISequence) if roi.ROIName != "LoPo"]
rois = [ds.StructureSetROISequence[n] for n in keep]
contours = [ds.ROIContourSequence[n] for n in keep]
observations = [o for o in ds.RTROIObservationsSequence
                if int(o.ReferencedROINumber) in {int(r.ROINumber) for r in rois}]
template_roi, template_contour = rois[0], contours[0]
template_item = template_contour.ContourSequence[0]
for s in range(16):
    number = 100 + s
    radius = 8.0 + 4.0 * s
    centre = (-30.0 + 4.0 * s, -20.0 + 3.0 * s, -10.0 + 2.0 * s)
    roi = copy.deepcopy(template_roi)
    roi.ROINumber = number
    roi.ROIName = f"Sphere{radius:.0f}mm"
    rc = copy.deepcopy(template_contour)
    rc.ReferencedROINumber = number
    items = []
    planes = int(2 * radius / 2.5)
    for p in range(planes):
        z = -radius + (p + 0.5) * 2 * radius / planes
        r = math.sqrt(radius * radius - z * z)
        item = copy.deepcopy(template_item)
        points = []
        for n in range(64):
            a = 2 * math.pi * n / 64
            points += [f"{centre[0] + r * math.cos(a):.3f}", f"{centre[1] + r * math.sin(a):.3f}",
                       f"{centre[2] + z:.3f}"]
        item.ContourGeometricType = "CLOSED_PLANAR"
        item.NumberOfContourPoints = 64
        item.ContourData = points
        items.append(item)
    rc.ContourSequence = Sequence(items)
    rois.append(roi)
    contours.append(rc)
ds.StructureSetROISequence = Sequence(rois)
ds.ROIContourSequence = Sequence(contours)
ds.RTROIObservationsSequence = Sequence(observations)
ds.save_as(sys.argv[2])
