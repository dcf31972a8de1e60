#!/usr/bin/python3
"""The coupled RF ablation problem solved by FEniCSx (dolfinx 0.5), the independent solver for
tests/slow/ablation_fenics_rf_slow_test.cpp and bench/ablation_fenics_bench.sh.

On the box [-L, L]^3 (metres), time stepped by backward Euler with the coefficients and the
source taken at the step's start temperature, as simulation/ablation/bioheat.h does
(picardPasses = 1):

    div(sigma(T^n) grad V) = 0      V = 1 on the electrode, 0 on the box's faces
    Q = P / P_1 sigma(T^n) |grad V|^2,   P_1 = int sigma(T^n) |grad V|^2 dx (constant power P)
    rho c (T^{n+1} - T^n) / dt - div(k(T^n) grad T^{n+1}) + w rho_b c_b (T^{n+1} - T_a) = Q
    T = T_a on the box's faces

sigma(T) = sigma0 (1 + alpha_sigma (T - 37)), k(T) = k0 (1 + alpha_k (T - 37)) (tissue_library;
below 100 degC the solver's own laws reduce to these). The electrode and the insulated shaft
are unions of the grid's voxel cubes (given by their centres): the electrode's cells are held
at 1 V (their dofs are Dirichlet), the shaft's cells conduct sigma_shaft. Lagrange elements of
`degree` on a tetrahedral mesh with `cells` per axis (vertices on the voxel faces), refined
`refinements` times; conjugate gradients with hypre's algebraic multigrid.

Prints JSON: {"points": [...], "temperature_degC": [[per point] per step], "power_W": [...],
"unit_power_W": [...], "isotherm_mm": {"x": .., "z_plus": .., "z_minus": ..}, "dofs": n,
"seconds": t, "solve_seconds": t}.

Usage: ablation_fenics_rf.py PARAMETERS.json
"""
import json
import sys
import time

import numpy as np
import ufl
from dolfinx import fem, geometry, mesh
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI
from petsc4py import PETSc


def cells_in_voxels(domain, centres, half):
    """Cells whose midpoint lies inside one of the voxel cubes (centre +- half)."""
    count = domain.topology.index_map(3).size_local
    midpoints = mesh.compute_midpoints(domain, 3, np.arange(count, dtype=np.int32))
    if len(centres) == 0:
        return np.zeros(count, dtype=bool)
    keys = {tuple(np.round(np.asarray(c) / (2 * half)).astype(int)) for c in centres}
    voxel = np.round(midpoints / (2 * half)).astype(int)
    return np.array([tuple(v) in keys for v in voxel])


def evaluate(function, domain, points):
    tree = geometry.BoundingBoxTree(domain, 3)
    candidates = geometry.compute_collisions(tree, points)
    colliding = geometry.compute_colliding_cells(domain, candidates, points)
    owners = np.array([colliding.links(i)[0] for i in range(len(points))], dtype=np.int32)
    return function.eval(points, owners)[:, 0]


def isotherm_extent(function, domain, threshold, axis, sign, half_width):
    """The distance from the origin along +-axis where T first falls below threshold."""
    steps = np.linspace(0.0, half_width * 0.999, 801)
    points = np.zeros((len(steps), 3))
    points[:, axis] = sign * steps
    values = evaluate(function, domain, points)
    below = np.nonzero(values < threshold)[0]
    if len(below) == 0:
        return float(steps[-1])
    i = below[0]
    if i == 0:
        return 0.0
    # Linear interpolation between the last point above and the first below.
    t = (values[i - 1] - threshold) / (values[i - 1] - values[i])
    return float(steps[i - 1] + t * (steps[i] - steps[i - 1]))


def main():
    with open(sys.argv[1]) as f:
        p = json.load(f)
    start = time.time()
    half = p["half_width_m"]
    domain = mesh.create_box(MPI.COMM_WORLD, [np.array([-half] * 3), np.array([half] * 3)],
                             [p["cells"]] * 3, mesh.CellType.tetrahedron)
    for _ in range(p.get("refinements", 0)):
        domain.topology.create_entities(1)
        domain = mesh.refine(domain)
    voxel_half = 0.5 * p["voxel_m"]
    electrode = cells_in_voxels(domain, p["electrode_voxels_m"], voxel_half)
    shaft = cells_in_voxels(domain, p["shaft_voxels_m"], voxel_half)

    space = fem.FunctionSpace(domain, ("Lagrange", p["degree"]))
    constants = fem.FunctionSpace(domain, ("DG", 0))
    tissue = p["tissue"]
    t_a = p["arterial_degC"]

    # Dofs of the electrode's cells, and of the box's faces.
    tdim = domain.topology.dim
    electrode_cells = np.nonzero(electrode)[0].astype(np.int32)
    electrode_dofs = fem.locate_dofs_topological(space, tdim, electrode_cells)
    faces = mesh.locate_entities_boundary(domain, 2, lambda y: np.full(y.shape[1], True))
    face_dofs = fem.locate_dofs_topological(space, 2, faces)
    electric_bcs = [fem.dirichletbc(PETSc.ScalarType(1.0), electrode_dofs, space),
                    fem.dirichletbc(PETSc.ScalarType(0.0), face_dofs, space)]
    thermal_bcs = [fem.dirichletbc(PETSc.ScalarType(t_a), face_dofs, space)]

    temperature = fem.Function(space)
    temperature.x.array[:] = t_a
    # sigma(T) in tissue, sigma_shaft in the shaft; the electrode's cells are all Dirichlet.
    in_tissue = fem.Function(constants)
    in_tissue.x.array[:] = np.where(shaft, 0.0, 1.0)
    sigma = in_tissue * tissue["sigma_S_m"] * (
        1.0 + tissue["sigma_per_K"] * (temperature - 37.0)) + (1.0 - in_tissue) * p[
            "shaft_sigma_S_m"]
    conductivity = tissue["k_W_mK"] * (1.0 + tissue["k_per_K"] * (temperature - 37.0))
    no_source = fem.Function(constants)
    no_source.x.array[:] = np.where(electrode | shaft, 0.0, 1.0)

    dx = ufl.dx(metadata={"quadrature_degree": 2 * p["degree"]})
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    options = {"ksp_type": "cg", "pc_type": "hypre", "ksp_rtol": 1e-10}
    potential = LinearProblem(ufl.inner(sigma * ufl.grad(u), ufl.grad(v)) * dx,
                              fem.Constant(domain, PETSc.ScalarType(0.0)) * v * dx,
                              bcs=electric_bcs, petsc_options=options)
    unit_potential = fem.Function(space)
    sar_scale = fem.Constant(domain, PETSc.ScalarType(0.0))
    dt = p["step_s"]
    storage = tissue["rho_c_J_m3K"] / dt
    sink = tissue["perfusion_W_m3K"]
    sar = no_source * sigma * ufl.inner(ufl.grad(unit_potential), ufl.grad(unit_potential))
    heat = LinearProblem(
        (storage + sink) * u * v * dx + ufl.inner(conductivity * ufl.grad(u), ufl.grad(v)) * dx,
        (storage * temperature + sink * t_a + sar_scale * sar) * v * dx,
        bcs=thermal_bcs, petsc_options=options)
    unit_power_form = fem.form(sar * dx)

    points = np.array(p["points_m"], dtype=np.float64)
    history, powers, unit_powers = [], [], []
    solve_start = time.time()
    steps = int(round(p["duration_s"] / dt))
    for _ in range(steps):
        unit_potential.x.array[:] = potential.solve().x.array
        unit_power = domain.comm.allreduce(fem.assemble_scalar(unit_power_form), op=MPI.SUM)
        sar_scale.value = p["power_W"] / unit_power
        unit_powers.append(unit_power)
        powers.append(p["power_W"])
        new = heat.solve()
        temperature.x.array[:] = new.x.array
        history.append(evaluate(temperature, domain, points).tolist())
    solve_seconds = time.time() - solve_start
    threshold = p["isotherm_degC"]
    extent = {"x": isotherm_extent(temperature, domain, threshold, 0, 1.0, half),
              "z_plus": isotherm_extent(temperature, domain, threshold, 2, 1.0, half),
              "z_minus": isotherm_extent(temperature, domain, threshold, 2, -1.0, half)}
    json.dump({"points": points.tolist(), "temperature_degC": history, "power_W": powers,
               "unit_power_W": unit_powers, "isotherm_m": extent,
               "dofs": space.dofmap.index_map.size_global, "seconds": time.time() - start,
               "solve_seconds": solve_seconds}, sys.stdout)


if __name__ == "__main__":
    main()
