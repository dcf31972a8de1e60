#!/usr/bin/python3
"""pydicom's view of a conformal RT Plan (test helper for `twinplan-cli plan-conformal`).

usage: conformal_plan_probe.py RP.dcm -> JSON on stdout: the structure set and frame the plan
references, prescription, fractions, and per beam its meterset (from the fraction group), angles,
isocentre, jaws and MLCX leaf positions at control point 0 (PS3.3 C.8.8.14).
"""
import json
import sys

import pydicom

ds = pydicom.dcmread(sys.argv[1])
group = ds.FractionGroupSequence[0]
metersets = {int(r.ReferencedBeamNumber): float(r.BeamMeterset)
             for r in group.ReferencedBeamSequence}
beams = []
for beam in ds.BeamSequence:
    cp = beam.ControlPointSequence[0]
    devices = {d.RTBeamLimitingDeviceType: [float(x) for x in d.LeafJawPositions]
               for d in cp.BeamLimitingDevicePositionSequence}
    boundaries = [float(x) for d in beam.BeamLimitingDeviceSequence
                  if d.RTBeamLimitingDeviceType == "MLCX" for x in d.LeafPositionBoundaries]
    beams.append({"number": int(beam.BeamNumber), "name": beam.BeamName,
                  "meterset": metersets[int(beam.BeamNumber)],
                  "gantry": float(cp.GantryAngle), "collimator": float(cp.BeamLimitingDeviceAngle),
                  "isocentre": [float(x) for x in cp.IsocenterPosition],
                  "energy": float(cp.NominalBeamEnergy),
                  "jaws_x": devices["ASYMX"], "jaws_y": devices["ASYMY"],
                  "mlcx": devices["MLCX"], "boundaries": boundaries})
print(json.dumps({
    "sop_instance_uid": ds.SOPInstanceUID,
    "structure_set": ds.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID,
    "frame_of_reference": ds.FrameOfReferenceUID,
    "prescription": float(ds.DoseReferenceSequence[0].TargetPrescriptionDose)
    if "DoseReferenceSequence" in ds else None,
    "fractions": int(group.NumberOfFractionsPlanned),
    "beams": beams}))
