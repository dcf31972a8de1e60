#!/usr/bin/python3
"""Combines DOSXYZnrc .3ddose chunks (runs with different seeds) into the small reference table
tests/data/radiotherapy/egsnrc_<case>.csv (written to stdout). Each chunk is weighted by its
histories, read from the NCASE line of the .egsinp beside it.

Usage: egsnrc_to_csv.py CASE CHUNK.3ddose...

The table holds the voxels the tests use: the central-axis column (the voxel containing x = y = 0
at every depth) and, for the water cases, the lateral profiles along x at the depths of
PROFILE_DEPTHS_MM, averaged over y in [-40, 40] mm (three voxels, mass-weighted: the penumbra of
the x edges is the same along y there, and the average cuts the statistical uncertainty).
DOSXYZnrc's frame: z is depth from the phantom surface (the beam travels along +z), x and y
lateral; lengths in the table are mm. Dose is per unit incident fluence at the surface (Gy cm2:
DOSXYZnrc normalises a collimated point source, isource 3, by the histories over the field area),
so cases with different field sizes compare directly.
"""
import os
import sys

import re

import numpy as np

PROFILE_DEPTHS_MM = (100.0, 200.0)
PROFILE_HALF_WIDTH_Y_MM = 40.0


def read_3ddose(path):
    tokens = open(path).read().split()
    nx, ny, nz = map(int, tokens[:3])
    at = 3
    bounds = []
    for n in (nx, ny, nz):
        bounds.append(10.0 * np.array(tokens[at:at + n + 1], float))  # cm -> mm
        at += n + 1
    count = nx * ny * nz
    dose = np.array(tokens[at:at + count], float).reshape(nz, ny, nx)
    relative = np.array(tokens[at + count:at + 2 * count], float).reshape(nz, ny, nx)
    return bounds, dose, relative


def histories(path_3ddose):
    """NCASE of the run: the first number of the line '<NCASE>, 0, 99, <seed>, 97, ...'."""
    egsinp = os.path.splitext(path_3ddose)[0] + ".egsinp"
    for line in open(egsinp):
        m = re.match(r"\s*(\d+), 0, 99, (\d+), 97,", line)
        if m:
            return int(m.group(1)), int(m.group(2))
    sys.exit(f"{egsinp}: no NCASE line")


def combine(paths):
    """History-weighted mean of the chunks and its absolute 1-sigma uncertainty."""
    chunks = [read_3ddose(p) for p in paths]
    bounds = chunks[0][0]
    for other in chunks[1:]:
        if any(not np.allclose(a, b) for a, b in zip(bounds, other[0])):
            sys.exit("chunks have different voxel boundaries")
    weights = np.array([histories(p)[0] for p in paths], float)
    weights /= weights.sum()
    doses = np.array([c[1] for c in chunks])
    sigmas = np.array([c[1] * c[2] for c in chunks])
    dose = np.tensordot(weights, doses, axes=1)
    sigma = np.sqrt(np.tensordot(weights**2, sigmas**2, axes=1))
    return bounds, dose, sigma


def bin_containing(edges, value):
    i = int(np.searchsorted(edges, value, side="right")) - 1
    if not 0 <= i < len(edges) - 1:
        sys.exit(f"{value} mm is outside the voxel boundaries")
    return i


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    case, paths = sys.argv[1], sorted(sys.argv[2:])
    (xb, yb, zb), dose, sigma = combine(paths)
    ix, iy = bin_containing(xb, 0.0), bin_containing(yb, 0.0)
    runs = [histories(p) for p in paths]
    total = sum(n for n, _ in runs)
    egs_commit = os.environ.get("EGSNRC_COMMIT", "unknown")
    axis_rel = 100 * sigma[:, iy, ix] / np.where(dose[:, iy, ix] > 0, dose[:, iy, ix], 1)
    deep = zb[1:] <= 250.0
    header = [
        f"# EGSnrc DOSXYZnrc reference, case {case} (scripts/radiotherapy/egsnrc/{case}.egsinp,",
        "# regenerate with scripts/radiotherapy/run_egsnrc_reference.sh). EGSnrc (AGPL-3.0) was run",
        "# as a separate program; only this numerical output is stored.",
        f"# EGSnrc commit {egs_commit}, PEGS4 data 700icru (AE 0.7 MeV, AP 0.01 MeV), ECUT 0.7,",
        "# PCUT 0.01 MeV, EXACT boundary crossing, PRESTA-II, spin effects off (see validation.md),",
        "# range rejection below 2 MeV; spectrum EGSnrc spectra/egsnrc (Mohan et al. 1985).",
        f"# {total:.3g} histories in {len(runs)} runs (histories x seed: "
        + ", ".join(f"{n:.2g} x {seed}" for n, seed in runs) + ").",
        f"# Axis voxel statistical uncertainty (1 sigma) to 250 mm depth: max {axis_rel[deep].max():.2f} %,"
        f" median {np.median(axis_rel[deep]):.2f} %.",
        "# Frame: z depth from the surface (mm), x and y lateral (mm); dose per incident fluence",
        "# at the surface (Gy cm2). region 'axis': the voxel containing x = y = 0 at each depth;",
        "# 'profile': voxels along x at a depth, averaged (mass-weighted) over the y voxels in",
        f"# [-{PROFILE_HALF_WIDTH_Y_MM:g}, {PROFILE_HALF_WIDTH_Y_MM:g}] mm.",
        "region,z_from_mm,z_to_mm,x_from_mm,x_to_mm,y_from_mm,y_to_mm,dose_Gy_cm2,uncertainty_percent",
    ]
    rows = []
    for k in range(len(zb) - 1):
        d, s = dose[k, iy, ix], sigma[k, iy, ix]
        rows.append(("axis", zb[k], zb[k + 1], xb[ix], xb[ix + 1], yb[iy], yb[iy + 1], d, s))
    if case.startswith("water"):
        ys = [j for j in range(len(yb) - 1)
              if yb[j] >= -PROFILE_HALF_WIDTH_Y_MM - 1e-9 and yb[j + 1] <= PROFILE_HALF_WIDTH_Y_MM + 1e-9]
        width = np.diff(yb)[ys]
        for depth in PROFILE_DEPTHS_MM:
            k = bin_containing(zb, depth)
            for i in range(len(xb) - 1):
                d = (dose[k, ys, i] * width).sum() / width.sum()
                s = np.sqrt(((sigma[k, ys, i] * width) ** 2).sum()) / width.sum()
                rows.append(("profile", zb[k], zb[k + 1], xb[i], xb[i + 1], yb[ys[0]], yb[ys[-1] + 1], d, s))
    print("\n".join(header))
    for r in rows:
        rel = 100 * r[8] / r[7] if r[7] > 0 else 100.0
        print(f"{r[0]},{r[1]:.2f},{r[2]:.2f},{r[3]:.2f},{r[4]:.2f},{r[5]:.2f},{r[6]:.2f},{r[7]:.5e},{rel:.2f}")


if __name__ == "__main__":
    main()
