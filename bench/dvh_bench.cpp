// DVH of 20 structures on the RayStation plan-sum dose (107 x 107 x 110 at 2 mm) against
// plastimatch (convert to a structure image on the dose grid + dvh) in the same run
// (docs/benchmarks.md, "Dose-volume histograms"). The 20-ROI structure set is made by
// bench/dvh_bench_structures.py.
//
//   twinplan-dvh-bench --dose RD.dcm --structures RS20.dcm [--dir DIR] [--runs N]
// prints one JSON object: structures, our read / DVH / total times (best of N), plastimatch's.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "twinplan/core/parallel.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/radiotherapy/dvh.h"

using namespace twinplan;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int main(int argc, char** argv) {
  std::filesystem::path dose, structures, dir = std::filesystem::temp_directory_path();
  int runs = 3;
  for (int n = 1; n + 1 < argc; n += 2) {
    if (!std::strcmp(argv[n], "--dose")) dose = argv[n + 1];
    if (!std::strcmp(argv[n], "--structures")) structures = argv[n + 1];
    if (!std::strcmp(argv[n], "--dir")) dir = argv[n + 1];
    if (!std::strcmp(argv[n], "--runs")) runs = std::atoi(argv[n + 1]);
  }
  if (dose.empty() || structures.empty()) {
    std::cerr << "usage: twinplan-dvh-bench --dose RD.dcm --structures RS.dcm [--dir DIR]\n";
    return 2;
  }
  double bestDvhCpu = 1e9, bestRead = 1e9, bestDvh = 1e9, bestPeerConvert = 1e9, bestPeerDvh = 1e9;
  std::size_t count = 0;
  double totalVolume = 0;
  for (int run = 0; run < runs; ++run) {
    auto start = Clock::now();
    const io::RtDose rd = io::readRtDose(dose);
    io::RtStructContours rs = io::readRtStructContours(structures);
    std::vector<radiotherapy::StructureContours> list;
    for (io::RtStructRoiContours& roi : rs.rois) {
      if (roi.contours.empty()) continue;
      radiotherapy::StructureContours s{roi.name, {}};
      for (io::LpsContour& c : roi.contours) s.polygons_lps.push_back(std::move(c.points_lps));
      list.push_back(std::move(s));
    }
    bestRead = std::min(bestRead, seconds(start));
    start = Clock::now();
    const std::clock_t cpu = std::clock();
    const auto dvhs = radiotherapy::computeDvhs(rd.dose, list);
    bestDvh = std::min(bestDvh, seconds(start));
    // Process CPU time (all threads): the machine may be shared, wall time then overstates.
    bestDvhCpu = std::min(bestDvhCpu, static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC);
    count = dvhs.size();
    totalVolume = 0;
    for (const auto& d : dvhs) totalVolume += d.figures.volume_cm3;

    const std::string ss = (dir / "bench_ss.nrrd").string(),
                      ssList = (dir / "bench_ss.txt").string();
    start = Clock::now();
    std::string command = "plastimatch convert --input '" + structures.string() + "' --fixed '" +
                          dose.string() + "' --output-ss-img '" + ss + "' --output-ss-list '" +
                          ssList + "' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return 1;
    bestPeerConvert = std::min(bestPeerConvert, seconds(start));
    start = Clock::now();
    command = "plastimatch dvh --input-ss-img '" + ss + "' --input-ss-list '" + ssList +
              "' --input-dose '" + dose.string() + "' --output-csv '" +
              (dir / "bench_dvh.csv").string() +
              "' --cumulative --num-bins 1000 --bin-width 0.0025 >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return 1;
    bestPeerDvh = std::min(bestPeerDvh, seconds(start));
  }
  const double ours = bestRead + bestDvh, peer = bestPeerConvert + bestPeerDvh;
  std::cout << nlohmann::json{{"structures", count},
                              {"total_volume_cm3", totalVolume},
                              {"threads", parallel::maxThreads()},
                              {"ours_read_s", bestRead},
                              {"ours_dvh_s", bestDvh},
                              {"ours_dvh_cpu_s", bestDvhCpu},
                              {"ours_total_s", ours},
                              {"plastimatch_convert_s", bestPeerConvert},
                              {"plastimatch_dvh_s", bestPeerDvh},
                              {"plastimatch_total_s", peer},
                              {"ratio_total", ours / peer}}
                   .dump(2)
            << '\n';
  return 0;
}
