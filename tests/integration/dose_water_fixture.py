#!/usr/bin/python3
"""Writes a water-box CT and a two-beam photon RT Plan on it with pydicom (input of the
`twinplan-cli dose` test).

usage: dose_water_fixture.py FOLDER [--other-frame] [--lateral-6mv | --lateral-18mv]

FOLDER/ct/NNN.dcm: CT, 121 x 121 pixels of 2.5 mm (x, y = -150 .. 150 mm), 101 slices of 2.5 mm
(z = -125 .. 125 mm), HFS, axial. Water (0 HU) for |x| <= 125, |y| <= 100 mm; air (-1000 HU)
elsewhere. FOLDER/RP.dcm: one fraction group of 2 fractions, isocentre (0, 0, 0):
  beam 1 "AP": 6 MV, gantry 0, jaws 10 x 10 cm, 100 MU (SSD 90 cm, isocentre 10 cm deep);
  beam 2 "LLAT": 10 MV, gantry 90, jaws 10 x 10 cm and a 10-pair MLCX in two step-and-shoot
  segments (80 MU: 40 MU open 10 x 10, 40 MU with the upper five pairs closed).
FOLDER/uids.json: the UIDs the test checks. --other-frame gives the plan its own frame of
reference (the CLI must refuse it). --lateral-6mv makes beam 2 a 6 MV beam;
--lateral-18mv an 18 MV beam (no engine has a model for it: the CLI must refuse it).
"""
import json
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
RT_PLAN = "1.2.840.10008.5.1.4.1.1.481.5"

folder = sys.argv[1]
other_frame = "--other-frame" in sys.argv
lateral_energy = 6.0 if "--lateral-6mv" in sys.argv else 10.0
if "--lateral-18mv" in sys.argv:
    lateral_energy = 18.0
os.makedirs(os.path.join(folder, "ct"), exist_ok=True)
study, frame, ct_series = generate_uid(), generate_uid(), generate_uid()


def item(**values):
    d = Dataset()
    for k, v in values.items():
        setattr(d, k, v)
    return d


def new_file(path, sop_class):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID = "Water^Box", "TP-DOSE"
    ds.StudyInstanceUID, ds.StudyDate, ds.StudyTime = study, "20261205", "120000"
    ds.FrameOfReferenceUID = frame
    return ds


n, spacing = 121, 2.5
coords = -150.0 + spacing * np.arange(n)
x, y = np.meshgrid(coords, coords)  # rows along y, columns along x
slice_hu = np.where((np.abs(x) <= 125.0) & (np.abs(y) <= 100.0), 0, -1000).astype(np.int16)
for k in range(101):
    z = -125.0 + spacing * k
    path = os.path.join(folder, "ct", "%03d.dcm" % k)
    ds = new_file(path, CT_IMAGE)
    ds.Modality, ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber = "CT", ct_series, 1, k + 1
    ds.PatientPosition = "HFS"
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [-150.0, -150.0, z]
    ds.PixelSpacing = [spacing, spacing]
    ds.SliceThickness = spacing
    ds.Rows = ds.Columns = n
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "HU"
    ds.PixelData = slice_hu.tobytes()
    ds.save_as(path, write_like_original=False)

plan_path = os.path.join(folder, "RP.dcm")
rp = new_file(plan_path, RT_PLAN)
if other_frame:
    rp.FrameOfReferenceUID = generate_uid()
rp.Modality, rp.SeriesInstanceUID = "RTPLAN", generate_uid()
rp.RTPlanLabel, rp.RTPlanName, rp.RTPlanGeometry = "WaterBox", "AP + LLAT", "PATIENT"
rp.PatientSetupSequence = Sequence([item(PatientSetupNumber=1, PatientPosition="HFS")])
rp.FractionGroupSequence = Sequence([item(
    FractionGroupNumber=1, NumberOfFractionsPlanned=2, NumberOfBeams=2,
    NumberOfBrachyApplicationSetups=0,
    ReferencedBeamSequence=Sequence([item(ReferencedBeamNumber=1, BeamMeterset=100.0),
                                     item(ReferencedBeamNumber=2, BeamMeterset=80.0)]))])


def jaws(x1, x2, y1, y2):
    return [item(RTBeamLimitingDeviceType="ASYMX", LeafJawPositions=[x1, x2]),
            item(RTBeamLimitingDeviceType="ASYMY", LeafJawPositions=[y1, y2])]


def beam(number, name, energy, gantry, control_points, devices):
    b = item(BeamNumber=number, BeamName=name, BeamType="STATIC", RadiationType="PHOTON",
             TreatmentMachineName="LINAC1", PrimaryDosimeterUnit="MU", SourceAxisDistance=1000.0,
             TreatmentDeliveryType="TREATMENT", NumberOfWedges=0, NumberOfCompensators=0,
             NumberOfBoli=0, NumberOfBlocks=0, NumberOfControlPoints=len(control_points),
             FinalCumulativeMetersetWeight=1.0, ReferencedPatientSetupNumber=1)
    b.BeamLimitingDeviceSequence = Sequence(devices)
    control_points[0].NominalBeamEnergy = energy
    control_points[0].GantryAngle = gantry
    control_points[0].BeamLimitingDeviceAngle = 0.0
    control_points[0].PatientSupportAngle = 0.0
    control_points[0].IsocenterPosition = [0.0, 0.0, 0.0]
    b.ControlPointSequence = Sequence(control_points)
    return b


ap = beam(1, "AP", 6.0, 0.0, [
    item(ControlPointIndex=0, CumulativeMetersetWeight=0.0,
         BeamLimitingDevicePositionSequence=Sequence(jaws(-50.0, 50.0, -50.0, 50.0))),
    item(ControlPointIndex=1, CumulativeMetersetWeight=1.0)],
    [item(RTBeamLimitingDeviceType="ASYMX", NumberOfLeafJawPairs=1),
     item(RTBeamLimitingDeviceType="ASYMY", NumberOfLeafJawPairs=1)])
leaves = [-50.0 + 10.0 * i for i in range(11)]
open_field = [-50.0] * 10 + [50.0] * 10
half_closed = [-50.0] * 5 + [0.0] * 5 + [50.0] * 5 + [0.0] * 5
mlc = lambda p: item(RTBeamLimitingDeviceType="MLCX", LeafJawPositions=p)
lat = beam(2, "LLAT", lateral_energy, 90.0, [
    item(ControlPointIndex=0, CumulativeMetersetWeight=0.0,
         BeamLimitingDevicePositionSequence=Sequence(jaws(-50.0, 50.0, -50.0, 50.0) + [mlc(open_field)])),
    item(ControlPointIndex=1, CumulativeMetersetWeight=0.5),
    item(ControlPointIndex=2, CumulativeMetersetWeight=0.5,
         BeamLimitingDevicePositionSequence=Sequence([mlc(half_closed)])),
    item(ControlPointIndex=3, CumulativeMetersetWeight=1.0)],
    [item(RTBeamLimitingDeviceType="ASYMX", NumberOfLeafJawPairs=1),
     item(RTBeamLimitingDeviceType="ASYMY", NumberOfLeafJawPairs=1),
     item(RTBeamLimitingDeviceType="MLCX", NumberOfLeafJawPairs=10, LeafPositionBoundaries=leaves)])
rp.BeamSequence = Sequence([ap, lat])
rp.save_as(plan_path, write_like_original=False)
with open(os.path.join(folder, "uids.json"), "w") as f:
    json.dump({"plan": rp.SOPInstanceUID, "frame": frame, "study": study}, f)
