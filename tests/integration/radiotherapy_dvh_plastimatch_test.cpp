// DVH of the real RayStation RTDOSE + RTSTRUCT (../shared/data/rt-plan-raystation) against
// `plastimatch dvh` (Debian 12, 1.9.4) run in the same test (issue #19, item 7).
//
// plastimatch rasterises each ROI on the dose grid at voxel centres (a dose slice takes the
// contour plane within half a dose slice, else nothing) and histograms whole voxels. Our
// io rasteriser has the same rule, so its voxel counts and voxel-centre mean doses must equal
// plastimatch's. The sub-voxel DVH (radiotherapy/dvh.h) integrates the whole slab of every
// contour plane instead: here the contours are 5 mm apart and the dose slices 2 mm, so
// plastimatch keeps only the 2 dose slices of every 5 mm that lie within 1 mm of a contour
// (40 % of the volume), while the sub-voxel volume is the contours' own (area x 5 mm, checked
// with pydicom's contour data). Its dose figures then differ by what the skipped slices and
// partial voxels hold: stated tolerances below, measured figures in docs/validation.md.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "test_support.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/radiotherapy/dvh.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using test::runCommand;
using test::sharedData;

constexpr double kBin_Gy = 0.0025;

struct PeerDvh {
  double voxels = 0, dmean_Gy = 0, d95_Gy = 0, d2_Gy = 0;
};

// plastimatch's cumulative voxel counts per ROI -> volume in voxels, mean, Dx. plastimatch puts
// dose d in bin floor((d + w/2) / w) (src/plastimatch/util/dvh.cxx), so row n of its CSV is
// centred on n w and its cumulative count is the volume receiving at least (n - 1/2) w.
std::map<std::string, PeerDvh> runPlastimatch(const fs::path& rd, const fs::path& rs,
                                              const fs::path& dir) {
  const std::string ss = (dir / "ss.nrrd").string(), list = (dir / "ss.txt").string();
  const std::string csv = (dir / "dvh.csv").string();
  auto r = runCommand("plastimatch convert --input '" + rs.string() + "' --fixed '" + rd.string() +
                      "' --output-ss-img '" + ss + "' --output-ss-list '" + list + "' 2>&1");
  EXPECT_EQ(r.status, 0) << r.output;
  r = runCommand("plastimatch dvh --input-ss-img '" + ss + "' --input-ss-list '" + list +
                 "' --input-dose '" + rd.string() + "' --output-csv '" + csv +
                 "' --cumulative --normalization vox --num-bins 1000 --bin-width 0.0025 2>&1");
  EXPECT_EQ(r.status, 0) << r.output;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream header(line);
  std::string cell;
  std::getline(header, cell, ',');  // "Dose (Gy)"
  while (std::getline(header, cell, ',')) names.push_back(cell);
  std::vector<std::vector<double>> cumulative(names.size());
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::getline(row, cell, ',');
    for (std::size_t c = 0; c < names.size() && std::getline(row, cell, ','); ++c)
      cumulative[c].push_back(std::stod(cell));
  }
  std::map<std::string, PeerDvh> peers;
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::vector<double>& v = cumulative[c];
    if (v.empty() || v[0] <= 0) continue;
    PeerDvh p;
    p.voxels = v[0];
    for (std::size_t n = 0; n + 1 < v.size(); ++n)
      p.dmean_Gy += (v[n] - v[n + 1]) * static_cast<double>(n) * kBin_Gy / p.voxels;
    auto dx = [&](double fraction) {
      for (std::size_t n = 1; n < v.size(); ++n)
        if (v[n] < fraction * p.voxels)
          return kBin_Gy * ((n - 1.5) + (v[n - 1] - fraction * p.voxels) / (v[n - 1] - v[n]));
      return 0.0;
    };
    p.d95_Gy = dx(0.95);
    p.d2_Gy = dx(0.02);
    peers[names[c]] = p;
  }
  return peers;
}

TEST(DvhVsPlastimatch, RayStationPlanSum) {
  test::TempDir dir;
  const fs::path rd = sharedData("rt-plan-raystation/RD_plan_sum.dcm");
  const fs::path rs = sharedData("rt-plan-raystation/RS.dcm");
  const std::map<std::string, PeerDvh> peers = runPlastimatch(rd, rs, dir.path());
  ASSERT_EQ(peers.size(), 4u);  // LoPo is a POINT: no volume

  const io::RtDose dose = io::readRtDose(rd);
  io::ReferenceSeries grid;
  grid.geometry = dose.dose.geometry;
  grid.dicom.frameOfReferenceUid = dose.frameOfReferenceUid;
  const LabelMap centres = io::readRtStruct(rs, grid).labels;
  io::RtStructContours contours = io::readRtStructContours(rs);
  // Each ROI's area x 5 mm contour spacing, from pydicom's Contour Data (shoelace).
  const std::map<std::string, double> contourVolume_cm3{
      {"Cube101010", 1050.0}, {"Slope101004", 735.0}, {"External", 8615.125}, {"PMMA", 205.0}};
  const double voxel_cm3 = 0.008, dmax_Gy = 2.21;
  for (io::RtStructRoiContours& roi : contours.rois) {
    if (!peers.count(roi.name)) continue;
    const PeerDvh& peer = peers.at(roi.name);
    // 1. Same rasterisation rule: same voxels, same voxel-centre mean dose.
    const std::size_t segment = *centres.findSegment(roi.name);
    double centreMean = 0;
    const ImageGeometry& g = grid.geometry;
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i)
          if (centres.contains(segment, i, j, k))
            centreMean += dose.dose.values[g.linearIndex(i, j, k)];
    centreMean /= static_cast<double>(centres.voxelCount(segment));
    EXPECT_EQ(static_cast<double>(centres.voxelCount(segment)), peer.voxels) << roi.name;
    EXPECT_NEAR(centreMean, peer.dmean_Gy, kBin_Gy / 2) << roi.name;

    // 2. The sub-voxel DVH: the contours' own volume, and doses within the stated tolerances.
    radiotherapy::StructureContours s{roi.name, {}};
    for (io::LpsContour& c : roi.contours) s.polygons_lps.push_back(c.points_lps);
    const radiotherapy::DoseVolumeHistogram dvh = radiotherapy::computeDvh(dose.dose, s);
    const radiotherapy::DvhFigures& f = dvh.figures;
    std::cout << "[dvh-plastimatch] " << roi.name << ": volume " << f.volume_cm3 << " cm3 (peer "
              << peer.voxels * voxel_cm3 << "), Dmean " << f.dmean_Gy << " (" << peer.dmean_Gy
              << "), D95 " << f.d95_Gy << " (" << peer.d95_Gy << "), D2 " << f.d2_Gy << " ("
              << peer.d2_Gy << ") Gy; spread D95 " << dvh.uncertainty.d95_Gy << " Gy\n";
    EXPECT_NEAR(f.volume_cm3, contourVolume_cm3.at(roi.name),
                1e-3 * contourVolume_cm3.at(roi.name));
    EXPECT_NEAR(f.dmean_Gy, peer.dmean_Gy, 0.01 * dmax_Gy) << roi.name;
    EXPECT_NEAR(f.d95_Gy, peer.d95_Gy, 0.02 * dmax_Gy) << roi.name;
    EXPECT_NEAR(f.d2_Gy, peer.d2_Gy, 0.01 * dmax_Gy) << roi.name;
  }
}

}  // namespace
}  // namespace twinplan
