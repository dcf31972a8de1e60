#!/usr/bin/python3
"""Reads a TwinPlan RTSTRUCT or SEG with pydicom (an independent DICOM reader) and measures it.

  rtstruct_seg_pydicom.py OBJECT.dcm REFERENCE_SERIES_DIR

Prints one JSON object: for an RTSTRUCT, per ROI name the contour and point counts and the
volume in mm3 from an even-odd point-in-polygon test at the voxel centres of the slice each
contour's Contour Image Sequence names (numpy only, written here independently of TwinPlan);
for a SEG, per segment label the number of set pixels (pydicom unpacks the bits) times the
voxel volume. Also whether every referenced SOP Instance UID is a slice of the series.
"""
import json
import os
import sys

import numpy as np
import pydicom


def load_series(folder):
    slices = {}
    for name in os.listdir(folder):
        try:
            ds = pydicom.dcmread(os.path.join(folder, name))
        except Exception:
            continue
        if "ImagePositionPatient" in ds and "PixelSpacing" in ds:
            slices[ds.SOPInstanceUID] = ds
    return slices


def inside(points_ij, rows, cols):
    """Even-odd test of every voxel centre of a rows x cols slice against one polygon."""
    jj, ii = np.mgrid[0:rows, 0:cols]
    result = np.zeros((rows, cols), dtype=bool)
    n = len(points_ij)
    for a in range(n):
        x0, y0 = points_ij[a - 1]
        x1, y1 = points_ij[a]
        crosses = (y0 <= jj) != (y1 <= jj)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = x0 + (jj - y0) * (x1 - x0) / (y1 - y0)
        result ^= crosses & (ii > x)
    return result


def rtstruct(ds, slices):
    out = {"modality": "RTSTRUCT", "rois": {}, "all_references_known": True}
    names = {r.ROINumber: r.ROIName for r in ds.StructureSetROISequence}
    for roi in ds.ROIContourSequence:
        masks = {}
        points = 0
        contours = getattr(roi, "ContourSequence", [])
        for c in contours:
            uid = c.ContourImageSequence[0].ReferencedSOPInstanceUID
            if uid not in slices:
                out["all_references_known"] = False
                continue
            s = slices[uid]
            origin = np.array(s.ImagePositionPatient, dtype=float)
            row, col = np.array(s.ImageOrientationPatient[:3], float), np.array(
                s.ImageOrientationPatient[3:], float)
            dr, dc = float(s.PixelSpacing[0]), float(s.PixelSpacing[1])
            xyz = np.array(c.ContourData, dtype=float).reshape(-1, 3) - origin
            points += len(xyz)
            ij = np.stack([xyz @ row / dc, xyz @ col / dr], axis=1)
            m = inside(ij, int(s.Rows), int(s.Columns))
            masks[uid] = masks.get(uid, np.zeros_like(m)) ^ m
        voxels = sum(int(m.sum()) for m in masks.values())
        any_slice = next(iter(slices.values()))
        spacing = [float(v) for v in any_slice.PixelSpacing]
        thickness = slice_spacing(slices)
        out["rois"][names[roi.ReferencedROINumber]] = {
            "contours": len(contours), "points": points,
            "volume_mm3": voxels * spacing[0] * spacing[1] * thickness}
    out["frame_of_reference"] = ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID
    return out


def slice_spacing(slices):
    any_slice = next(iter(slices.values()))
    normal = np.cross(np.array(any_slice.ImageOrientationPatient[:3], float),
                      np.array(any_slice.ImageOrientationPatient[3:], float))
    d = sorted(float(np.dot(normal, np.array(s.ImagePositionPatient, float)))
               for s in slices.values())
    return (d[-1] - d[0]) / (len(d) - 1) if len(d) > 1 else float(any_slice.SliceThickness)


def seg(ds, slices):
    frames = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    labels = {s.SegmentNumber: s.SegmentLabel for s in ds.SegmentSequence}
    spacing = [float(v) for v in
               ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing]
    volume = {label: 0.0 for label in labels.values()}
    known = True
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        number = item.SegmentIdentificationSequence[0].ReferencedSegmentNumber
        source = item.DerivationImageSequence[0].SourceImageSequence[0]
        known &= source.ReferencedSOPInstanceUID in slices
        volume[labels[number]] += float(frames[f].sum()) * spacing[0] * spacing[1] * \
            slice_spacing(slices)
    return {"modality": "SEG", "segments": {k: {"volume_mm3": v} for k, v in volume.items()},
            "all_references_known": bool(known), "frame_of_reference": ds.FrameOfReferenceUID}


def main():
    ds = pydicom.dcmread(sys.argv[1])
    slices = load_series(sys.argv[2])
    result = rtstruct(ds, slices) if ds.Modality == "RTSTRUCT" else seg(ds, slices)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
