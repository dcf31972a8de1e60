#pragma once
// CalculiX (Debian's calculix-ccx) as the independent solver of an .inp deck in the tissue
// tests: runs `ccx -i model` in a temporary folder and reads back the nodal displacements; and
// `twinplan-cli fem solve` on the same file.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "test_support.h"

namespace twinplan::test {

using CalculixDisplacements = std::map<int, std::array<double, 3>>;  // node id -> (ux, uy, uz)

// Writes `deck` as dir/model.inp, runs `ccx -i model` on one thread and returns the last
// "displacements (vx,vy,vz)" block of model.dat (ccx 2.20 manual, *NODE PRINT), i.e. the
// displacements at the end of the last step.
inline CalculixDisplacements runCalculix(const TempDir& dir, const std::string& deck) {
  std::ofstream(dir / "model.inp") << deck;
  const CommandResult run =
      runCommand("cd '" + dir.path().string() + "' && OMP_NUM_THREADS=1 ccx -i model 2>&1");
  EXPECT_EQ(run.status, 0) << "ccx failed (install calculix-ccx: scripts/setup-deps.sh)\n"
                           << run.output.substr(0, 2000);
  std::ifstream dat(dir / "model.dat");
  CalculixDisplacements last;
  std::string line;
  while (std::getline(dat, line)) {
    if (line.find("displacements (vx,vy,vz)") != std::string::npos) {
      last.clear();
      continue;
    }
    std::istringstream fields(line);
    int id = 0;
    std::array<double, 3> u{};
    if (fields >> id >> u[0] >> u[1] >> u[2]) last[id] = u;
  }
  return last;
}

// Our side of the same comparison: `twinplan-cli fem solve dir/inpName --out dir/u.json --json`
// (the report on stdout, the nodal displacements in u.json).
inline CommandResult runCliFemSolve(const TempDir& dir, const std::string& inpName) {
  return runCommand("'" + cliPath().string() + "' fem solve '" + (dir / inpName).string() +
                    "' --out '" + (dir / "u.json").string() + "' --json");
}

inline double magnitude(const std::array<double, 3>& u) {
  return std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
}

}  // namespace twinplan::test
