#!/usr/bin/python3
"""Polyenergetic collapsed-cone kernels for simulation/radiotherapy/collapsed_cone.h.

Builds a beam's point kernel from monoenergetic energy deposition kernels in water, weighted by
the energy each bin of a Mohan spectrum releases (Mohan R, Chui C, Lidofsky L, Med Phys
1985;12:592, as distributed with EGSnrc HEN_HOUSE/spectra/mohan6.spectrum and
mohan10.spectrum): w(E) ~ Phi(E) E mu(E) (Ahnesjo A, Med Phys 1989;16:577, eq. 2, the TERMA
weighting), mu/rho of water from NIST XCOM. Between tabulated kernel energies the kernels are
interpolated linearly in energy.

Two sets of monoenergetic kernels are read, both 48 cones of 3.75 deg x 24 spheres to 60 cm:
  edknrc  EGSnrc EDKnrc kernels, 0.5 .. 6.0 MeV every 0.5 MeV, as run and published in
          github.com/samuelpeet/conehead (MIT), kernels/<E>MeV/<E>MeV.egslst, stored as
          FOLDER/k<E>.egslst (the 6 MV beam).
  mackie  the EGS3 "scasph" dose spread arrays of Mackie TR, Bielajew AF, Rogers DWO, Battista
          JJ, Phys Med Biol 1988;33:1-20 (0.1 .. 50 MeV; files scaf<keV>, 48 angles x 24 radii x
          7 values: primary, first scatter, second scatter, multiple scatter, bremsstrahlung +
          annihilation, mean radius, mean angle), as provided by T R Mackie and published in
          github.com/pymedphys/pymedphys history (data/collapsedcone/kernels/original, commit
          5de8725c). The energy deposited is the sum of the first five (the 10 MV beam: the
          EDKnrc set stops at 6 MeV).

Then, per cone (zenith bin), fits the cumulative energy fraction deposited within radius r,
  C(r) = etaA (1 - exp(-a r)) + etaB (1 - exp(-b r)),
which is Ahnesjo's analytic kernel h = (A exp(-a r) + B exp(-b r)) / r^2 integrated over the
cone's solid angle and radius (etaA = A dOmega / a). Prints the JSON block for
resources/radiotherapy/collapsed_cone_kernels.json.

usage: fit_ccc_kernel.py edknrc FOLDER [mohan6]                 (the 6 MV beam)
       fit_ccc_kernel.py hybrid FOLDER MACKIE_FOLDER mohan10    (the 10 MV beam: EDKnrc to
                                                                 6 MeV, Mackie 8 and 10 MeV)
       fit_ccc_kernel.py mackie FOLDER mohan6|mohan10          (Mackie's arrays alone)
       fit_ccc_kernel.py compare FOLDER_MACKIE POLY.dsa mohan10   (our weighting vs a .dsa)
  --components 3 (after the arguments) fits three exponentials per cone instead of two (keys
  etaC, c_per_mm added, fastest first). The engine carries 2 or 3 terms (the kernel's "terms"
  in the resource, rows [theta_from, theta_to, etaA, a, etaB, b, etaC, c]): the opt-in beams
  "6MV-3terms" (edknrc ... mohan6 --components 3) and "10MV-3terms" (hybrid ... mohan10
  --components 3) hold these fits, tests/data/radiotherapy/ccc_kernel_10mv_3terms.json the
  10 MV one as printed here.
"""
import json
import sys

import numpy as np
from scipy.optimize import least_squares

# Mohan spectra (EGSnrc mohan6.spectrum / mohan10.spectrum): bin upper edges (MeV), counts/MeV.
SPECTRA = {
    "mohan6": [(0.25, .004107824), (0.50, .1295177), (0.75, .4609022), (1.00, .4609022),
               (1.25, .4435880), (1.50, .4084962), (1.75, .4084962), (2.00, .2496504),
               (2.25, .2367691), (2.50, .1867142), (2.75, .1382681), (3.00, .1304545),
               (3.25, .1484442), (3.50, .09496227), (3.75, .1246583), (4.00, .09773248),
               (4.25, .08891984), (4.50, .05154921), (4.75, .04184013), (5.00, .04803306),
               (5.25, .01624749), (5.50, .02715377), (5.75, .01199324), (6.00, .01573713)],
    "mohan10": [(0.5, .2400843), (1.0, .2500183), (1.5, .21001317), (2.0, .2625331),
                (2.5, .2072358), (3.0, .2114193), (3.5, .1518784), (4.0, .1118486),
                (4.5, .1039823), (5.0, .088179611), (5.5, .099346541), (6.0, .04616579),
                (6.5, .060534731), (7.0, .042974982), (7.5, .042974982), (8.0, .024302693),
                (8.5, .024302693), (9.0, .016152654), (9.5, .0078928359), (10.0, .0010140655)],
}
# NIST XCOM water, total attenuation with coherent scattering (cm2/g).
XCOM_E = [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
XCOM_MU = [0.1707, 0.1505, 0.1370, 0.1186, 0.1061, 0.09687, 0.08956, 0.07865, 0.07072, 0.06323,
           0.05754, 0.04942, 0.03969, 0.03403, 0.03031, 0.02770, 0.02429, 0.02219]
# Sphere radii of both kernel sets (cm), the outer edges of the 24 shells.
RADII_CM = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0,
            8.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0]
MACKIE_KEV = [100, 150, 200, 300, 400, 500, 600, 800, 1000, 1250, 1500, 2000, 3000, 4000, 5000,
              6000, 8000, 10000]


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


def read_mackie(path):
    """Energy fraction per (angle, shell): the sum of the five deposition categories."""
    values = np.array([float(l.split()[0]) for l in open(path) if l.strip()])
    if values.size != 48 * 24 * 7:
        raise SystemExit(f"{path}: expected 48 x 24 x 7 values, found {values.size}")
    return values.reshape(48, 24, 7)[:, :, :5].sum(axis=2)


def load(source, folder, mackie_folder=None):
    if source in ("edknrc", "hybrid"):
        energies = [0.5 * k for k in range(1, 13)]
        kernels = [read_edk(f"{folder}/k{e:.1f}.egslst")[2] for e in energies]
        if source == "hybrid":  # EDKnrc to 6 MeV, Mackie's 8 and 10 MeV above it
            energies += [8.0, 10.0]
            kernels += [read_mackie(f"{mackie_folder}/scaf{k}") for k in (8000, 10000)]
    else:
        energies = [k / 1000 for k in MACKIE_KEV]
        kernels = [read_mackie(f"{folder}/scaf{k}") for k in MACKIE_KEV]
    return np.array(energies), kernels


def mu(e):
    return np.exp(np.interp(np.log(e), np.log(XCOM_E), np.log(XCOM_MU)))


def weights_for(spectrum, energies):
    """Released energy per spectrum bin, shared linearly between the bracketing kernels."""
    weights = np.zeros(len(energies))
    lo = 0.0
    for hi, per_mev in SPECTRA[spectrum]:
        e = 0.5 * (lo + hi)
        released = per_mev * (hi - lo) * e * mu(e)
        i = int(np.clip(np.searchsorted(energies, e) - 1, 0, len(energies) - 2))
        f = float(np.clip((e - energies[i]) / (energies[i + 1] - energies[i]), 0, 1))
        weights[i] += released * (1 - f)
        weights[i + 1] += released * f
        lo = hi
    return weights / weights.sum()


def fit_cones(edk, floor=0.01, components=2):
    angles = 3.75 * np.arange(1, 49)
    r = np.array(RADII_CM) * 10.0  # mm
    # Start values of the attenuations (1/mm), fastest first; the best fit over them is kept.
    starts = ([(a0, b0) for a0 in (0.3, 1.0, 3.0) for b0 in (0.005, 0.02, 0.06)] if components == 2
              else [(3.0, 0.3, 0.01), (1.0, 0.1, 0.005), (5.0, 0.5, 0.02), (2.0, 0.2, 0.003)])
    keys = [("etaA", "a_per_mm"), ("etaB", "b_per_mm"), ("etaC", "c_per_mm")][:components]
    cones = []
    for i, theta in enumerate(angles):
        c = np.cumsum(edk[i])
        total = c[-1]

        def residual(p):
            q = np.exp(p)
            model = sum(q[2 * k] * (1 - np.exp(-q[2 * k + 1] * r)) for k in range(components))
            return (model - c) / (c + floor * total)

        best = None
        for start in starts:
            p0 = np.log([v for a0 in start for v in (total / components, a0)])
            fit = least_squares(residual, p0)
            if best is None or fit.cost < best.cost:
                best = fit
        q = np.exp(best.x)
        terms = sorted(((q[2 * k], q[2 * k + 1]) for k in range(components)), key=lambda t: -t[1])
        worst = np.max(np.abs(residual(np.log([v for t in terms for v in t]))))
        cone = {"theta_deg": [float(theta - 3.75), float(theta)]}
        for (eta_key, mu_key), (eta, mu_) in zip(keys, terms):
            cone[eta_key] = round(float(eta), 7)
            cone[mu_key] = round(float(mu_), 6)
        cone["fit_max_rel_error"] = round(float(worst), 4)
        cones.append(cone)
    return cones


def summary(edk):
    total = edk.sum()
    within = lambda r_cm: edk[:, :RADII_CM.index(r_cm) + 1].sum() / total
    return {"total_energy_fraction": round(float(total), 5),
            "forward_fraction": round(float(edk[:24].sum() / total), 4),
            "within_1cm": round(float(within(1.0)), 4), "within_5cm": round(float(within(5.0)), 4)}


def main(argv):
    components = 2
    if "--components" in argv:
        at = argv.index("--components")
        components = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
        if components not in (2, 3):
            raise SystemExit("--components takes 2 or 3")
    mode, folder = argv[1], argv[2]
    if mode == "compare":
        energies, kernels = load("mackie", folder)
        weights = weights_for(argv[4], energies)
        ours = sum(w * k for w, k in zip(weights, kernels))
        theirs = read_mackie(argv[3])
        print(json.dumps({"ours": summary(ours), "theirs": summary(theirs),
                          "forward_cone_ratio_ours_over_theirs":
                              [round(float(x), 3) for x in ours[:6].sum(1) / theirs[:6].sum(1)]},
                         indent=1))
        return
    if mode == "hybrid":
        mackie_folder, spectrum = argv[3], argv[4]
    else:
        mackie_folder, spectrum = None, (argv[3] if len(argv) > 3 else "mohan6")
    energies, kernels = load(mode, folder, mackie_folder)
    weights = weights_for(spectrum, energies)
    edk = sum(w * k for w, k in zip(weights, kernels))
    out = {"spectrum": spectrum, "kernel_energies_MeV": [float(e) for e in energies],
           "spectrum_weights": [round(float(w), 5) for w in weights]}
    out.update(summary(edk))
    out["components"] = components
    out["cones"] = fit_cones(edk, components=components)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv)
