#!/usr/bin/python3
"""pydicom's view of an exported plan's three objects (test helper for `twinplan-cli export-plan`).

usage: case_plan_export_probe.py RS.dcm RP.dcm RD.dcm [RD16.dcm] -> JSON on stdout: each object's SOP class
and instance, study and frame of reference, what it references (RT Plan -> structure set by
Referenced Structure Set Sequence, PS3.3 C.8.8.9; RT Dose -> plan by Referenced RT Plan Sequence,
C.8.8.3), the plan's beams (gantry at control point 0, meterset from the fraction group) and the
dose grid (size, spacing, origin, maximum in Gy). With RD16.dcm, also writes a copy of the RT Dose
with 16-bit pixels (Dose Grid Scaling adjusted), every other attribute as written: dciodvfy
(dicom3tools 2022) aborts on 32-bit OW pixel data, so the copy is what it can check.
"""
import json
import sys

import pydicom

rs, rp, rd = (pydicom.dcmread(f) for f in sys.argv[1:4])


def header(ds):
    return {"sop_class_uid": ds.SOPClassUID, "sop_instance_uid": ds.SOPInstanceUID,
            "modality": ds.Modality, "study": ds.StudyInstanceUID,
            "series": ds.SeriesInstanceUID, "patient_id": ds.PatientID}


frame = rs.ReferencedFrameOfReferenceSequence[0]
study = frame.RTReferencedStudySequence[0]
structures = dict(header(rs))
structures.update({
    "frame_of_reference": frame.FrameOfReferenceUID,
    "referenced_ct_series": study.RTReferencedSeriesSequence[0].SeriesInstanceUID,
    "contour_images": len(study.RTReferencedSeriesSequence[0].ContourImageSequence),
    "rois": [r.ROIName for r in rs.StructureSetROISequence]})

group = rp.FractionGroupSequence[0]
metersets = {int(r.ReferencedBeamNumber): float(r.BeamMeterset)
             for r in group.ReferencedBeamSequence}
plan = dict(header(rp))
plan.update({
    "frame_of_reference": rp.FrameOfReferenceUID,
    "label": rp.RTPlanLabel,
    "referenced_structure_set": rp.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID,
    "fractions": int(group.NumberOfFractionsPlanned),
    "beams": [{"number": int(b.BeamNumber), "name": b.BeamName,
               "gantry": float(b.ControlPointSequence[0].GantryAngle),
               "meterset": metersets[int(b.BeamNumber)]} for b in rp.BeamSequence]})

offsets = [float(x) for x in rd.GridFrameOffsetVector]
dose = dict(header(rd))
dose.update({
    "frame_of_reference": rd.FrameOfReferenceUID,
    "referenced_plan": rd.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID,
    "referenced_plan_class": rd.ReferencedRTPlanSequence[0].ReferencedSOPClassUID,
    "summation": rd.DoseSummationType, "units": rd.DoseUnits,
    "size": [int(rd.Columns), int(rd.Rows), int(rd.NumberOfFrames)],
    # Pixel Spacing is row spacing (along a column, j) then column spacing (along a row, i).
    "spacing": [float(rd.PixelSpacing[1]), float(rd.PixelSpacing[0]),
                offsets[1] - offsets[0] if len(offsets) > 1 else 0.0],
    "origin": [float(x) for x in rd.ImagePositionPatient],
    "orientation": [float(x) for x in rd.ImageOrientationPatient],
    "max_gy": float(rd.pixel_array.max()) * float(rd.DoseGridScaling)})

if len(sys.argv) > 4:
    pixels = rd.pixel_array.astype("float64")
    step = pixels.max() / 65535.0 if pixels.max() > 0 else 1.0
    rd.PixelData = (pixels / step).round().astype("<u2").tobytes()
    rd.BitsAllocated, rd.BitsStored, rd.HighBit = 16, 16, 15
    rd.DoseGridScaling = "%.10g" % (float(rd.DoseGridScaling) * step)
    rd.save_as(sys.argv[4])

print(json.dumps({"rtstruct": structures, "rtplan": plan, "rtdose": dose}))
