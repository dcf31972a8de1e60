#!/usr/bin/python3
"""Writes a small 6 MV photon RT Plan with pydicom (test input for the plan reader).

usage: rtplan_photon_fixture.py OUTPUT

Two beams, one fraction group of 30 fractions. Beam 1 "AP" is a 3-point step-and-shoot beam:
control point 0 states everything (gantry 0, collimator 10, couch 350, isocentre (10, -20, 30)
mm, ASYMX -50/60, ASYMY -40/45, a 10-pair MLCX of 5 mm leaves); control point 1 states only new
MLC positions (all else is inherited, PS3.3 C.8.8.14.5); control point 2 closes the meterset.
Beam 2 "LAT" is gantry 90, 2 control points, jaws only. Beam Meterset 120.5 and 95.25 MU.
"""
import sys

import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

RT_PLAN = "1.2.840.10008.5.1.4.1.1.481.5"


def item(**values):
    d = Dataset()
    for k, v in values.items():
        setattr(d, k, v)
    return d


def jaws(x1, x2, y1, y2):
    return [item(RTBeamLimitingDeviceType="ASYMX", LeafJawPositions=[x1, x2]),
            item(RTBeamLimitingDeviceType="ASYMY", LeafJawPositions=[y1, y2])]


def mlc(bank_a, bank_b):
    return item(RTBeamLimitingDeviceType="MLCX", LeafJawPositions=bank_a + bank_b)


meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = RT_PLAN
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = FileDataset(sys.argv[1], {}, file_meta=meta, preamble=b"\0" * 128)
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.SOPClassUID = RT_PLAN
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.Modality = "RTPLAN"
ds.PatientName = "Phantom^Photon"
ds.PatientID = "TP-PHOTON"
ds.StudyInstanceUID = generate_uid()
ds.SeriesInstanceUID = generate_uid()
ds.FrameOfReferenceUID = generate_uid()
ds.RTPlanLabel = "Photon6MV"
ds.RTPlanName = "two fields"
ds.RTPlanGeometry = "PATIENT"
ds.DoseReferenceSequence = Sequence([item(DoseReferenceNumber=1, DoseReferenceStructureType="SITE",
                                          DoseReferenceType="TARGET", TargetPrescriptionDose=60.0)])
ds.FractionGroupSequence = Sequence([item(
    FractionGroupNumber=1, NumberOfFractionsPlanned=30, NumberOfBeams=2,
    NumberOfBrachyApplicationSetups=0,
    ReferencedBeamSequence=Sequence([
        item(ReferencedBeamNumber=1, BeamMeterset=120.5, BeamDose=1.2),
        item(ReferencedBeamNumber=2, BeamMeterset=95.25, BeamDose=0.8)]))])

leaves = [-50.0 + 10.0 * n for n in range(11)]  # 10 pairs, 10 mm wide at isocentre
open_a, open_b = [-30.0] * 10, [35.0] * 10
shaped_a = [-20.0 - n for n in range(10)]
shaped_b = [25.0 + n for n in range(10)]
ap = item(BeamNumber=1, BeamName="AP", BeamType="STATIC", RadiationType="PHOTON",
          TreatmentMachineName="LINAC1", PrimaryDosimeterUnit="MU", SourceAxisDistance=1000.0,
          TreatmentDeliveryType="TREATMENT", NumberOfWedges=0, NumberOfCompensators=0,
          NumberOfBoli=0, NumberOfBlocks=0, NumberOfControlPoints=3,
          FinalCumulativeMetersetWeight=1.0)
ap.BeamLimitingDeviceSequence = Sequence([
    item(RTBeamLimitingDeviceType="ASYMX", NumberOfLeafJawPairs=1),
    item(RTBeamLimitingDeviceType="ASYMY", NumberOfLeafJawPairs=1),
    item(RTBeamLimitingDeviceType="MLCX", NumberOfLeafJawPairs=10, LeafPositionBoundaries=leaves)])
ap.ControlPointSequence = Sequence([
    item(ControlPointIndex=0, NominalBeamEnergy=6.0, GantryAngle=0.0, GantryRotationDirection="NONE",
         BeamLimitingDeviceAngle=10.0, BeamLimitingDeviceRotationDirection="NONE",
         PatientSupportAngle=350.0, PatientSupportRotationDirection="NONE",
         IsocenterPosition=[10.0, -20.0, 30.0], CumulativeMetersetWeight=0.0,
         BeamLimitingDevicePositionSequence=Sequence(jaws(-50.0, 60.0, -40.0, 45.0) +
                                                     [mlc(open_a, open_b)])),
    item(ControlPointIndex=1, CumulativeMetersetWeight=0.6,
         BeamLimitingDevicePositionSequence=Sequence([mlc(shaped_a, shaped_b)])),
    item(ControlPointIndex=2, CumulativeMetersetWeight=1.0)])
lat = item(BeamNumber=2, BeamName="LAT", BeamType="STATIC", RadiationType="PHOTON",
           TreatmentMachineName="LINAC1", PrimaryDosimeterUnit="MU", SourceAxisDistance=1000.0,
           TreatmentDeliveryType="TREATMENT", NumberOfWedges=0, NumberOfCompensators=0,
           NumberOfBoli=0, NumberOfBlocks=0, NumberOfControlPoints=2,
           FinalCumulativeMetersetWeight=1.0)
lat.BeamLimitingDeviceSequence = Sequence([
    item(RTBeamLimitingDeviceType="ASYMX", NumberOfLeafJawPairs=1),
    item(RTBeamLimitingDeviceType="ASYMY", NumberOfLeafJawPairs=1)])
lat.ControlPointSequence = Sequence([
    item(ControlPointIndex=0, NominalBeamEnergy=6.0, GantryAngle=90.0, BeamLimitingDeviceAngle=0.0,
         PatientSupportAngle=0.0, IsocenterPosition=[10.0, -20.0, 30.0],
         CumulativeMetersetWeight=0.0,
         BeamLimitingDevicePositionSequence=Sequence(jaws(-35.0, 35.0, -30.0, 30.0))),
    item(ControlPointIndex=1, CumulativeMetersetWeight=1.0)])
ds.BeamSequence = Sequence([ap, lat])
ds.save_as(sys.argv[1], write_like_original=False)
