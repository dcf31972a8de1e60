#!/usr/bin/python3
"""Polyenergetic collapsed-cone kernel for simulation/radiotherapy/collapsed_cone.h.

Builds the 6 MV point kernel from monoenergetic EDKnrc energy deposition kernels in water
(EGSnrc user code EDKnrc, Kawrakow/Mainegra-Hing; 48 cones of 3.75 deg x 24 spheres to 60 cm,
0.5 .. 6.0 MeV every 0.5 MeV, as run and published in github.com/samuelpeet/conehead, MIT
licence, folder kernels/<E>MeV/<E>MeV.egslst) weighted by the energy each bin of the Mohan 6 MV
spectrum releases (Mohan R, Chui C, Lidofsky L, Med Phys 1985;12:592, as distributed with EGSnrc
HEN_HOUSE/spectra/mohan6.spectrum): w(E) ~ Phi(E) E mu(E) (Ahnesjo A, Med Phys 1989;16:577,
eq. 2, the TERMA weighting), mu/rho of water from NIST XCOM.

Then, per cone (zenith bin), fits the cumulative energy fraction deposited within radius r,
  C(r) = etaA (1 - exp(-a r)) + etaB (1 - exp(-b r)),
which is Ahnesjo's analytic kernel h = (A exp(-a r) + B exp(-b r)) / r^2 integrated over the
cone's solid angle and radius (etaA = A dOmega / a). Prints the JSON block for
resources/radiotherapy/collapsed_cone_kernels.json.

usage: fit_ccc_kernel.py FOLDER_WITH_<E>MeV.egslst
"""
import json
import sys

import numpy as np
from scipy.optimize import least_squares

# Mohan 6 MV (EGSnrc mohan6.spectrum): bin upper edges (MeV) and counts per MeV.
MOHAN6 = [(0.25, .004107824), (0.50, .1295177), (0.75, .4609022), (1.00, .4609022),
          (1.25, .4435880), (1.50, .4084962), (1.75, .4084962), (2.00, .2496504),
          (2.25, .2367691), (2.50, .1867142), (2.75, .1382681), (3.00, .1304545),
          (3.25, .1484442), (3.50, .09496227), (3.75, .1246583), (4.00, .09773248),
          (4.25, .08891984), (4.50, .05154921), (4.75, .04184013), (5.00, .04803306),
          (5.25, .01624749), (5.50, .02715377), (5.75, .01199324), (6.00, .01573713)]
# NIST XCOM water, total attenuation with coherent scattering (cm2/g).
XCOM_E = [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
XCOM_MU = [0.1707, 0.1505, 0.1370, 0.1186, 0.1061, 0.09687, 0.08956, 0.07865, 0.07072, 0.06323,
           0.05754, 0.04942, 0.03969, 0.03403, 0.03031, 0.02770, 0.02429, 0.02219]
ENERGIES = [0.5 * k for k in range(1, 13)]


def read_edk(path):
    rows = []
    with open(path, errors="replace") as f:
        lines = f.readlines()
    start = next(i for i, l in enumerate(lines) if "angle/deg.  radius/cm" in l) + 2
    for l in lines[start:]:
        parts = l.split()
        if len(parts) < 3 or "END" in l:
            break
        rows.append((float(parts[0]), float(parts[1]), float(parts[2])))
    rows = np.array(rows)
    angles = np.unique(rows[:, 0])
    radii = np.unique(rows[:, 1])
    return angles, radii, rows[:, 2].reshape(len(angles), len(radii))


def mu(e):
    return np.exp(np.interp(np.log(e), np.log(XCOM_E), np.log(XCOM_MU)))


def main(folder):
    kernels = {e: read_edk(f"{folder}/k{e:.1f}.egslst") for e in ENERGIES}
    angles, radii, _ = kernels[0.5]
    weights = np.zeros(len(ENERGIES))
    lo = 0.0
    for hi, perMeV in MOHAN6:
        e = 0.5 * (lo + hi)
        released = perMeV * (hi - lo) * e * mu(e)
        # linear interpolation between the monoenergetic kernels (below 0.5 MeV: the 0.5 kernel)
        x = np.clip((e - 0.5) / 0.5, 0, len(ENERGIES) - 1)
        i = min(int(x), len(ENERGIES) - 2)
        f = x - i
        weights[i] += released * (1 - f)
        weights[i + 1] += released * f
        lo = hi
    weights /= weights.sum()
    edk = sum(w * kernels[e][2] for w, e in zip(weights, ENERGIES))
    cones = []
    r = radii * 10.0  # mm
    for i, theta in enumerate(angles):
        c = np.cumsum(edk[i])
        total = c[-1]

        def residual(p):
            eta_a, a, eta_b, b = np.exp(p)
            model = eta_a * (1 - np.exp(-a * r)) + eta_b * (1 - np.exp(-b * r))
            return (model - c) / (c + 0.01 * total)

        best = None
        for a0 in (0.3, 1.0, 3.0):
            for b0 in (0.005, 0.02, 0.06):
                p0 = np.log([0.6 * total, a0, 0.4 * total, b0])
                fit = least_squares(residual, p0)
                if best is None or fit.cost < best.cost:
                    best = fit
        eta_a, a, eta_b, b = np.exp(best.x)
        if a < b:
            eta_a, a, eta_b, b = eta_b, b, eta_a, a
        worst = np.max(np.abs(residual(np.log([eta_a, a, eta_b, b]))))
        cones.append({"theta_deg": [float(theta - 3.75), float(theta)],
                      "etaA": round(float(eta_a), 7), "a_per_mm": round(float(a), 5),
                      "etaB": round(float(eta_b), 7), "b_per_mm": round(float(b), 6),
                      "fit_max_rel_error": round(float(worst), 4)})
    print(json.dumps({"spectrum_weights": [round(float(w), 5) for w in weights],
                      "total_energy_fraction": round(float(edk.sum()), 5),
                      "cones": cones}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
