#!/usr/bin/python3
"""pydicom's view of an exported RT Plan (test helper for the plan writer).

usage: rtplan_pydicom.py FILE -> JSON on stdout: SOP class, references, patient setup, and per
beam the attributes each control point states (so the test can check that a later control point
states only what changed, PS3.3 C.8.8.14.5).
"""
import json
import sys

import pydicom

ds = pydicom.dcmread(sys.argv[1])
beams = []
for beam in ds.BeamSequence:
    points = []
    for cp in beam.ControlPointSequence:
        points.append({
            "keywords": sorted(e.keyword for e in cp if e.keyword),
            "devices": [d.RTBeamLimitingDeviceType
                        for d in cp.get("BeamLimitingDevicePositionSequence", [])],
            "weight": float(cp.CumulativeMetersetWeight),
        })
    beams.append({"number": int(beam.BeamNumber), "name": beam.BeamName,
                  "sad": float(beam.SourceAxisDistance),
                  "control_points": int(beam.NumberOfControlPoints), "points": points})
group = ds.FractionGroupSequence[0]
print(json.dumps({
    "sop_class": ds.SOPClassUID, "modality": ds.Modality, "label": ds.RTPlanLabel,
    "geometry": ds.RTPlanGeometry, "frame_of_reference": ds.FrameOfReferenceUID,
    "study": ds.StudyInstanceUID, "patient_id": ds.PatientID,
    "structure_set": ds.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID,
    "patient_position": ds.PatientSetupSequence[0].PatientPosition,
    "prescription_gy": float(ds.DoseReferenceSequence[0].TargetPrescriptionDose),
    "fractions": int(group.NumberOfFractionsPlanned),
    "meterset": [float(b.BeamMeterset) for b in group.ReferencedBeamSequence],
    "beams": beams,
}))
