#!/usr/bin/python3
"""Steady Pennes bioheat on a box of two tissues, solved by FEniCSx (dolfinx 0.5), the
independent solver for tests/slow/ablation_fenics_slow_test.cpp.

    -div(k grad T) + w rho_b c_b T = q   in the box [-L, L]^3 (T: rise over arterial, K)
    T = 0                                 on the box's faces

Tissue A for x < interface, B beyond; q is a Gaussian of `power_W` and `sigma_m` at the
origin. Quadratic Lagrange elements on a tetrahedral mesh of `cells` per axis, conjugate
gradients with hypre's algebraic multigrid. Prints JSON: {"points": [[x, y, z], ...],
"rise_K": [...], "dofs": n, "seconds": t} for the points given (metres).

Usage: ablation_fenics_pennes.py PARAMETERS.json
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


def main():
    with open(sys.argv[1]) as f:
        p = json.load(f)
    start = time.time()
    half = p["half_width_m"]
    domain = mesh.create_box(MPI.COMM_WORLD, [np.array([-half] * 3), np.array([half] * 3)],
                             [p["cells"]] * 3, mesh.CellType.tetrahedron)
    space = fem.FunctionSpace(domain, ("Lagrange", 2))
    # Piecewise-constant tissue coefficients by cell midpoint; the interface is a mesh plane.
    constants = fem.FunctionSpace(domain, ("DG", 0))
    cells = np.arange(domain.topology.index_map(3).size_local, dtype=np.int32)
    midpoints = mesh.compute_midpoints(domain, 3, cells)
    in_b = midpoints[:, 0] > p["interface_x_m"]
    conductivity = fem.Function(constants)
    conductivity.x.array[:] = np.where(in_b, p["b"]["k"], p["a"]["k"])
    sink = fem.Function(constants)
    sink.x.array[:] = np.where(in_b, p["b"]["sink"], p["a"]["sink"])
    x = ufl.SpatialCoordinate(domain)
    sigma = p["sigma_m"]
    source = p["power_W"] / ((2 * np.pi) ** 1.5 * sigma ** 3) * ufl.exp(
        -(x[0] ** 2 + x[1] ** 2 + x[2] ** 2) / (2 * sigma ** 2))
    facets = mesh.locate_entities_boundary(domain, 2, lambda y: np.full(y.shape[1], True))
    held = fem.dirichletbc(PETSc.ScalarType(0), fem.locate_dofs_topological(space, 2, facets),
                           space)
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    dx = ufl.dx(metadata={"quadrature_degree": 6})
    a = conductivity * ufl.inner(ufl.grad(u), ufl.grad(v)) * dx + sink * u * v * dx
    rhs = source * v * dx
    problem = LinearProblem(a, rhs, bcs=[held], petsc_options={
        "ksp_type": "cg", "pc_type": "hypre", "ksp_rtol": 1e-12})
    rise = problem.solve()
    points = np.array(p["points_m"], dtype=np.float64)
    tree = geometry.BoundingBoxTree(domain, 3)
    candidates = geometry.compute_collisions(tree, points)
    colliding = geometry.compute_colliding_cells(domain, candidates, points)
    owners = [colliding.links(i)[0] for i in range(len(points))]
    values = rise.eval(points, np.array(owners, dtype=np.int32))[:, 0]
    json.dump({"points": points.tolist(), "rise_K": values.tolist(),
               "dofs": space.dofmap.index_map.size_global, "seconds": time.time() - start},
              sys.stdout)


if __name__ == "__main__":
    main()
