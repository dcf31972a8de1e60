#!/usr/bin/python3
"""The peer of `twinplan-cli model` in bench/model_bench.sh: what a script written with the
field's tools does for the same two threshold presets (docs/benchmarks.md, "Anatomy models").

    model_peer.py NIFTI OUT_DIR

Reads the CT that dcm2niix wrote (NIfTI, HU), thresholds the body (> -500 HU) and bone
(>= 200 HU) with VTK, and meshes each the usual VTK way, as TwinPlan did before block meshing
and topology-preserving decimation (flying edges at 0.5 on the 0/1 mask at full resolution,
20 windowed-sinc iterations with pass band 0.05, quadric decimation to 20 000 triangles), and
writes a binary STL each. It does not keep the largest component, fill holes, remove specks
or mesh lungs and vessels: it covers import, two thresholds, meshing and writing only.
Prints one JSON line with its stage times.
"""
import json
import sys
import time

import vtk


def timed(stages, name, since):
    now = time.perf_counter()
    stages.append({"stage": name, "time_s": round(now - since, 3)})
    return now


def mesh(mask, path):
    contour = vtk.vtkFlyingEdges3D()
    contour.SetInputData(mask)
    contour.SetValue(0, 0.5)
    contour.ComputeNormalsOff()
    contour.ComputeGradientsOff()
    contour.ComputeScalarsOff()
    smoother = vtk.vtkWindowedSincPolyDataFilter()
    smoother.SetInputConnection(contour.GetOutputPort())
    smoother.SetNumberOfIterations(20)
    smoother.SetPassBand(0.05)
    smoother.NormalizeCoordinatesOn()
    smoother.FeatureEdgeSmoothingOff()
    smoother.BoundarySmoothingOff()
    smoother.Update()
    triangles = smoother.GetOutput().GetNumberOfPolys()
    decimate = vtk.vtkQuadricDecimation()
    decimate.SetInputConnection(smoother.GetOutputPort())
    decimate.SetTargetReduction(max(0.5, 1.0 - 20000.0 / max(triangles, 1)))
    decimate.VolumePreservationOn()
    normals = vtk.vtkPolyDataNormals()
    normals.SetInputConnection(decimate.GetOutputPort())
    normals.SplittingOff()
    writer = vtk.vtkSTLWriter()
    writer.SetInputConnection(normals.GetOutputPort())
    writer.SetFileTypeToBinary()
    writer.SetFileName(path)
    writer.Write()
    return triangles


def main():
    nifti, out = sys.argv[1], sys.argv[2]
    stages = []
    t = time.perf_counter()
    reader = vtk.vtkNIFTIImageReader()
    reader.SetFileName(nifti)
    reader.Update()
    if reader.GetOutput().GetNumberOfPoints() == 0:
        sys.exit(f"model_peer.py: cannot read {nifti}")
    t = timed(stages, "read NIfTI", t)
    result = {"stages": stages, "triangles": {}}
    for name, low in (("body", -500.0), ("bone", 200.0)):
        threshold = vtk.vtkImageThreshold()
        threshold.SetInputConnection(reader.GetOutputPort())
        threshold.ThresholdByUpper(low)
        threshold.SetInValue(1)
        threshold.SetOutValue(0)
        threshold.SetOutputScalarTypeToUnsignedChar()
        threshold.Update()
        t = timed(stages, "threshold " + name, t)
        result["triangles"][name] = mesh(threshold.GetOutput(), f"{out}/{name}.stl")
        t = timed(stages, "surface " + name, t)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
