#!/usr/bin/python3
"""Independent TCP/NTCP from the cumulative DVH that `twinplan-cli dvh --json` printed (stdin).

For each structure with "ntcp" or "tcp", the printed cumulative curve (about 200 points) becomes
differential bins at the midpoints of consecutive printed doses; then, written from the papers
and not from TwinPlan's code:
  EQD2 per bin (Fowler 1989): D (D/N + a/b) / (2 + a/b), a/b = 3 Gy, when "fractions" is given;
  LKB (Burman 1991, gEUD of Niemierko 1999): gEUD = (sum v_i D_i^(1/n) / V)^n,
      NTCP = Phi((gEUD - TD50) / (m TD50));
  Poisson TCP averaged over a normal alpha truncated at 0 (Webb & Nahum 1993), trapezoid on
      20,001 points over alpha in [0, mean + 8 sigma].
Prints {"ROI": {"geud_gy", "ntcp", "tcp"}} as JSON.

  radiobiology_from_dvh.py check FRACTIONS < cli.json
  radiobiology_from_dvh.py fixtures RD.dcm RS.dcm OUTDIR: writes OUTDIR/RD_x30.dcm (the dose x 30:
      a 30-fraction course, same grid and frame) and OUTDIR/RS_heart.dcm (ROI 'PMMA' named 'Heart').
"""
import json
import math
import sys

import numpy as np


def bins(curve):
    dose = np.asarray(curve["dose_gy"], float)
    volume = np.asarray(curve["volume_cm3"], float)
    centres = 0.5 * (dose[:-1] + dose[1:])
    differential = volume[:-1] - volume[1:]
    keep = differential > 0
    return centres[keep], differential[keep]


def lkb(dose, volume, model):
    n = model["n"]
    geud = (np.sum(volume * dose ** (1.0 / n)) / np.sum(volume)) ** n
    t = (geud - model["td50_gy"]) / (model["m"] * model["td50_gy"])
    return geud, 0.5 * (1.0 + math.erf(t / math.sqrt(2.0)))


def tcp(dose, volume, p):
    per_fraction = dose / p["fractions"]
    alphas = np.linspace(0.0, p["alpha_mean_per_gy"] + 8 * p["alpha_sigma_per_gy"], 20001)
    weights = np.exp(-0.5 * ((alphas - p["alpha_mean_per_gy"]) / p["alpha_sigma_per_gy"]) ** 2)
    ln_beta_term = dose * (1.0 + per_fraction / p["alpha_beta_gy"])
    log_control = np.array([-np.sum(p["clonogens_per_cm3"] * volume * np.exp(-a * ln_beta_term))
                            for a in alphas])
    return float(np.trapz(weights * np.exp(log_control), alphas) / np.trapz(weights, alphas))


def fixtures(rd, rs, folder):
    import pydicom
    dose = pydicom.dcmread(rd)
    dose.DoseGridScaling = float(dose.DoseGridScaling) * 30
    dose.save_as(folder + "/RD_x30.dcm")
    structures = pydicom.dcmread(rs)
    for roi in structures.StructureSetROISequence:
        if roi.ROIName == "PMMA":
            roi.ROIName = "Heart"
    structures.save_as(folder + "/RS_heart.dcm")


def check(fractions):
    out = json.load(sys.stdin)
    result = {}
    for s in out["structures"]:
        if "ntcp" not in s and "tcp" not in s:
            continue
        dose, volume = bins(s["cumulative"])
        row = {}
        if "ntcp" in s:
            model = s["ntcp"]
            d = dose
            if model["dose"].startswith("EQD2"):
                fractions = int(fractions)
                d = dose * (dose / fractions + 3.0) / (2.0 + 3.0)
            row["geud_gy"], row["ntcp"] = lkb(d, volume, model)
        if "tcp" in s:
            row["tcp"] = tcp(dose, volume, s["tcp"])
        result[s["name"]] = row
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        fixtures(*sys.argv[2:5])
    else:
        check(sys.argv[2])
