// DICOM-RT import and export on the real RayStation and DCPT objects in ../shared/data (issue
// #19, item 1): RTDOSE (scaling, frame offsets, references, plan sum = sum of beams), RTDOSE
// export read back by our reader, pydicom and dcmdump, and RT (Ion) Plans. Expected plan values
// were read with pydicom 2.3.1 (Debian 12); pydicom also reads the exported dose in the test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "error_of.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using test::errorOf;
using test::runCommand;
using test::sharedData;
using test::TempDir;

const fs::path kScript = fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/rtdose_pydicom.py";

nlohmann::json pydicomView(const fs::path& file) {
  const auto r =
      runCommand("/usr/bin/python3 '" + kScript.string() + "' read '" + file.string() + "' 2>&1");
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

TEST(RtDoseImport, RayStationDosesCarryTheirUnitsReferencesAndFrame) {
  const fs::path folder = sharedData("rt-plan-raystation");
  const io::RtDose plan = io::readRtDose(folder / "RD_plan_sum.dcm");
  const io::RtDose beam2 = io::readRtDose(folder / "RD_beam2.dcm");
  const io::RtPlan rp = io::readRtPlan(folder / "RP_ion.dcm");
  EXPECT_EQ(plan.dose.unit, "Gy");
  EXPECT_EQ(plan.doseUnits, "GY");
  EXPECT_EQ(plan.doseType, "EFFECTIVE");
  EXPECT_EQ(plan.summationType, "PLAN");
  EXPECT_EQ(beam2.summationType, "BEAM");
  EXPECT_EQ(plan.referencedPlanSopInstanceUid, rp.sopInstanceUid);
  EXPECT_EQ(beam2.referencedPlanSopInstanceUid, rp.sopInstanceUid);
  EXPECT_EQ(beam2.referencedFractionGroupNumber, 1);
  EXPECT_EQ(beam2.referencedBeamNumbers, std::vector<int>{2});
  EXPECT_EQ(plan.frameOfReferenceUid, rp.frameOfReferenceUid);
  EXPECT_EQ(plan.dose.geometry.size, (std::array<std::int64_t, 3>{107, 107, 110}));
  // The dose against pydicom's stored values x Dose Grid Scaling (float32: 6e-8 relative).
  const nlohmann::json py = pydicomView(folder / "RD_plan_sum.dcm");
  for (std::size_t n = 0; n < 3; ++n) {
    const auto kji = py["picks"][n].get<std::array<std::int64_t, 3>>();
    EXPECT_NEAR(plan.dose.values[plan.dose.geometry.linearIndex(kji[2], kji[1], kji[0])],
                py["pick_values_gy"][n].get<double>(), 1e-6);
  }
  double sum = 0;
  for (float v : plan.dose.values) sum += v;
  EXPECT_NEAR(sum, py["sum_gy"].get<double>(), 1e-6 * py["sum_gy"].get<double>());
}

TEST(RtDoseImport, PlanSumIsBeamOnePlusBeamTwoWithinTheirScalingSteps) {
  const fs::path folder = sharedData("rt-plan-raystation");
  const io::RtDose plan = io::readRtDose(folder / "RD_plan_sum.dcm");
  const io::RtDose beam1 = io::readRtDose(folder / "RD_beam1.dcm");
  const io::RtDose beam2 = io::readRtDose(folder / "RD_beam2.dcm");
  const ScalarField beams = radiotherapy::doseSum(beam1.dose, beam2.dose);
  // Each file rounds its dose to its own step: the sum agrees within half a step of each.
  const double rounding =
      0.5 * (plan.doseGridScaling + beam1.doseGridScaling + beam2.doseGridScaling);
  const ScalarField difference = radiotherapy::doseDifference(plan.dose, beams);
  double worst = 0, largest = 0;
  for (std::size_t n = 0; n < difference.values.size(); ++n) {
    worst = std::max(worst, std::abs(double{difference.values[n]}));
    largest = std::max(largest, double{plan.dose.values[n]});
  }
  std::cout << "[rtdose] plan sum max " << largest << " Gy; max |plan - beam1 - beam2| " << worst
            << " Gy; steps " << plan.doseGridScaling << ", " << beam1.doseGridScaling << ", "
            << beam2.doseGridScaling << " Gy: rounding bound " << rounding << " Gy\n";
  EXPECT_GT(largest, 2.0);
  EXPECT_LE(worst, rounding + 1e-6 * largest);  // + float32 rounding of the three doses
}

TEST(RtDoseImport, AbsoluteFrameOffsetsPlaceFramesLikeRelativeOnes) {
  // PS3.3 C.8.8.3.2: offsets may be absolute z when the first equals Image Position's z.
  TempDir dir;
  const fs::path source = sharedData("rt-plan-raystation/RD_beam1.dcm");
  const auto r = runCommand("/usr/bin/python3 '" + kScript.string() + "' variants '" +
                            source.string() + "' '" + dir.path().string() + "' 2>&1");
  ASSERT_EQ(r.status, 0) << r.output;
  const io::RtDose relative = io::readRtDose(source);
  const io::RtDose absolute = io::readRtDose(dir / "absolute_offsets.dcm");
  EXPECT_TRUE(absolute.dose.geometry.sameGridAs(relative.dose.geometry, 1e-6));
  EXPECT_EQ(absolute.dose.values, relative.dose.values);

  const io::RtDose relativeUnits = io::readRtDose(dir / "relative_units.dcm");
  EXPECT_EQ(relativeUnits.dose.unit, units::kDimensionless);
  const Error notGy = errorOf([&] { radiotherapy::requireDose(relativeUnits.dose, "The dose"); });
  EXPECT_NE(std::string(notGy.what()).find("not Gy"), std::string::npos) << notGy.what();

  const Error noScaling = errorOf([&] { io::readRtDose(dir / "no_scaling.dcm"); });
  EXPECT_EQ(noScaling.kind(), ErrorKind::Corrupt);
  EXPECT_EQ(noScaling.context(), "(3004,000E)");
}

TEST(RtDoseImport, WrongOrDamagedFilesAreRefusedWithTheReason) {
  const Error structures = errorOf([] { io::readRtDose(sharedData("rt-plan-raystation/RS.dcm")); });
  EXPECT_EQ(structures.kind(), ErrorKind::InvalidInput);
  EXPECT_NE(std::string(structures.what()).find("not an RT Dose"), std::string::npos);
  EXPECT_EQ(errorOf([] { io::readRtDose("/nonexistent/RD.dcm"); }).kind(), ErrorKind::NotFound);
  // A small RT Dose whose Number of Frames is "1A" (malformed/MANIFEST.tsv).
  EXPECT_EQ(errorOf([] { io::readRtDose(sharedData("malformed/badVR.dcm")); }).kind(),
            ErrorKind::Corrupt);
}

TEST(RtDoseExport, WrittenDoseReadsBackInOurReaderPydicomAndDcmdump) {
  TempDir dir;
  const fs::path folder = sharedData("rt-plan-raystation");
  const io::RtDose beam = io::readRtDose(folder / "RD_beam1.dcm");
  io::RtDoseWriteOptions options;
  options.dicom = beam.dicom;
  options.dicom.frameOfReferenceUid = beam.frameOfReferenceUid;
  options.summationType = "BEAM";
  options.doseType = "EFFECTIVE";
  options.referencedPlanSopClassUid = io::kRtIonPlanSopClass;
  options.referencedPlanSopInstanceUid = beam.referencedPlanSopInstanceUid;
  options.referencedFractionGroupNumber = 1;
  options.referencedBeamNumbers = {1};
  const fs::path out = dir / "RD_export.dcm";
  const std::string uid = io::writeRtDose(beam.dose, out, options);

  const io::RtDose back = io::readRtDose(out);
  EXPECT_EQ(back.sopInstanceUid, uid);
  EXPECT_TRUE(back.dose.geometry.sameGridAs(beam.dose.geometry, 1e-6));
  EXPECT_EQ(back.frameOfReferenceUid, beam.frameOfReferenceUid);
  EXPECT_EQ(back.referencedPlanSopInstanceUid, beam.referencedPlanSopInstanceUid);
  EXPECT_EQ(back.referencedBeamNumbers, std::vector<int>{1});
  EXPECT_EQ(back.summationType, "BEAM");
  double worst = 0, largest = 0;
  for (std::size_t n = 0; n < beam.dose.values.size(); ++n) {
    worst = std::max(worst, std::abs(double{back.dose.values[n]} - beam.dose.values[n]));
    largest = std::max(largest, double{beam.dose.values[n]});
  }
  // One stored step is largest / (2^31 - 1); float32 rounds to 6e-8 relative.
  EXPECT_LE(worst, 1e-7 * largest);

  const nlohmann::json py = pydicomView(out);
  EXPECT_EQ(py["sop_class"], io::kRtDoseSopClass);
  EXPECT_EQ(py["dose_units"], "GY");
  EXPECT_EQ(py["summation"], "BEAM");
  EXPECT_EQ(py["frame_of_reference"], beam.frameOfReferenceUid);
  EXPECT_EQ(py["plan_uid"], beam.referencedPlanSopInstanceUid);
  EXPECT_EQ(py["fraction_group"], 1);
  EXPECT_EQ(py["beams"], nlohmann::json::array({1}));
  EXPECT_EQ(py["frames"], 110);
  EXPECT_NEAR(py["ipp"][2].get<double>(), -108.5, 1e-9);
  EXPECT_NEAR(py["offsets"][109].get<double>(), 218.0, 1e-9);
  EXPECT_NEAR(py["max_gy"].get<double>(), largest, 1e-7 * largest);

  const auto dump = runCommand("dcmdump '" + out.string() + "' 2>&1");
  EXPECT_EQ(dump.status, 0) << dump.output;
  for (const char* expected : {"(3004,000c)", "(300c,0002)", "(300c,0020)", "(300c,0006) IS [1]",
                               "(0028,0009) AT (3004,000c)", "(3004,000a) CS [BEAM]"})
    EXPECT_NE(dump.output.find(expected), std::string::npos) << expected;
  EXPECT_EQ(dump.output.find("E: "), std::string::npos) << dump.output.substr(0, 2000);
}

TEST(RtDoseExport, RefusesWhatItCannotWriteCorrectly) {
  TempDir dir;
  const io::RtDose beam = io::readRtDose(sharedData("rt-plan-raystation/RD_beam1.dcm"));
  io::RtDoseWriteOptions options;
  options.dicom = beam.dicom;
  options.dicom.frameOfReferenceUid = beam.frameOfReferenceUid;
  // PLAN dose without its plan: Referenced RT Plan Sequence is type 1C.
  const Error noPlan = errorOf([&] { io::writeRtDose(beam.dose, dir / "a.dcm", options); });
  EXPECT_EQ(noPlan.kind(), ErrorKind::InvalidInput);
  EXPECT_EQ(noPlan.context(), "referencedPlanSopInstanceUid");
  options.referencedPlanSopInstanceUid = beam.referencedPlanSopInstanceUid;
  ScalarField negative = beam.dose;
  negative.values[0] = -1.0f;
  EXPECT_EQ(errorOf([&] { io::writeRtDose(negative, dir / "b.dcm", options); }).context(),
            "doseType");
  EXPECT_FALSE(fs::exists(dir / "a.dcm") || fs::exists(dir / "b.dcm"));
}

TEST(RtPlanImport, RayStationIonPlan) {
  const io::RtPlan plan = io::readRtPlan(sharedData("rt-plan-raystation/RP_ion.dcm"));
  EXPECT_TRUE(plan.ion);
  EXPECT_EQ(plan.label, "Slope101010E_o_1");
  ASSERT_EQ(plan.beams.size(), 2u);
  ASSERT_EQ(plan.fractionGroups.size(), 1u);
  EXPECT_EQ(plan.fractionGroups[0].fractionsPlanned, 1);
  const io::Beam& b1 = plan.beams[0];
  EXPECT_EQ(b1.name, "b1");
  EXPECT_EQ(b1.radiationType, "PROTON");
  EXPECT_EQ(b1.machine, "TR3");
  EXPECT_EQ(b1.controlPoints.size(), 44u);
  EXPECT_DOUBLE_EQ(b1.controlPoints[0].gantryAngle_deg, 90.0);
  EXPECT_DOUBLE_EQ(plan.beams[1].controlPoints[0].gantryAngle_deg, 270.0);
  EXPECT_DOUBLE_EQ(*b1.controlPoints[0].nominalEnergy, 149.4);
  ASSERT_TRUE(b1.controlPoints.back().isocentre_lps);
  EXPECT_NEAR(b1.controlPoints.back().isocentre_lps->norm(), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(*b1.meterset, 39294.15);
  EXPECT_DOUBLE_EQ(*b1.beamDose_Gy, 0.943323);
  EXPECT_NEAR(*b1.metersetAt(b1.controlPoints.size() - 1), 39294.15, 1e-6);
  EXPECT_GT(b1.controlPoints[0].scanSpots, 0);
}

TEST(RtPlanImport, DcptHeadPhantomIonPlanWithThreeFieldsAndFiveFractions) {
  const io::RtPlan plan = io::readRtPlan(sharedData("ct-head-phantom-dcpt/RN.dcm"));
  EXPECT_EQ(plan.label, "Brain_fin2");
  ASSERT_EQ(plan.beams.size(), 3u);
  EXPECT_EQ(plan.fractionGroups.at(0).fractionsPlanned, 5);
  EXPECT_EQ(plan.fractionGroups[0].beamNumbers, (std::vector<int>{1, 2, 3}));
  const std::array<double, 3> meterset{5199.03, 5532.589989, 4726.129995};
  const std::array<double, 3> energy{186.197, 156.92, 154.114};
  const std::array<std::size_t, 3> points{48, 38, 38};
  for (std::size_t b = 0; b < 3; ++b) {
    EXPECT_DOUBLE_EQ(*plan.beams[b].meterset, meterset[b]);
    EXPECT_DOUBLE_EQ(*plan.beams[b].controlPoints[0].nominalEnergy, energy[b]);
    EXPECT_EQ(plan.beams[b].controlPoints.size(), points[b]);
    EXPECT_NEAR((*plan.beams[b].controlPoints[0].isocentre_lps -
                 Vec3(0, -170.15853658537, -2.1219512195122))
                    .norm(),
                0.0, 1e-9);
  }
}

TEST(RtPlanImport, PhotonPlanJawsMlcAndInheritedControlPoints) {
  TempDir dir;
  const fs::path file = dir / "RP_photon.dcm";
  const auto r = runCommand(
      "/usr/bin/python3 '" +
      (fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/rtplan_photon_fixture.py").string() +
      "' '" + file.string() + "' 2>&1");
  ASSERT_EQ(r.status, 0) << r.output;
  const io::RtPlan plan = io::readRtPlan(file);
  EXPECT_FALSE(plan.ion);
  EXPECT_DOUBLE_EQ(*plan.prescriptionDose_Gy, 60.0);
  EXPECT_EQ(plan.fractionGroups.at(0).fractionsPlanned, 30);
  ASSERT_EQ(plan.beams.size(), 2u);
  const io::Beam& ap = plan.beams[0];
  EXPECT_DOUBLE_EQ(*ap.sourceAxisDistance_mm, 1000.0);
  ASSERT_EQ(ap.devices.size(), 3u);
  EXPECT_EQ(ap.devices[2].leafBoundaries_mm.size(), 11u);
  ASSERT_EQ(ap.controlPoints.size(), 3u);
  // Control point 1 states only its MLC: the rest is inherited from control point 0.
  const io::ControlPoint& cp1 = ap.controlPoints[1];
  EXPECT_DOUBLE_EQ(cp1.collimatorAngle_deg, 10.0);
  EXPECT_DOUBLE_EQ(cp1.couchAngle_deg, 350.0);
  EXPECT_DOUBLE_EQ(*cp1.nominalEnergy, 6.0);
  EXPECT_NEAR((*cp1.isocentre_lps - Vec3(10, -20, 30)).norm(), 0.0, 1e-12);
  EXPECT_EQ(ap.devicePositions(1, "ASYMX")->positions_mm, (std::vector<double>{-50, 60}));
  EXPECT_EQ(ap.devicePositions(1, "ASYMY")->positions_mm, (std::vector<double>{-40, 45}));
  const std::vector<double>& leaves = ap.devicePositions(1, "MLCX")->positions_mm;
  ASSERT_EQ(leaves.size(), 20u);
  EXPECT_DOUBLE_EQ(leaves[3], -23.0);  // bank A, leaf 4
  EXPECT_DOUBLE_EQ(leaves[13], 28.0);  // bank B, leaf 4
  EXPECT_DOUBLE_EQ(ap.devicePositions(0, "MLCX")->positions_mm[3], -30.0);
  EXPECT_NEAR(*ap.metersetAt(1), 0.6 * 120.5, 1e-9);
  EXPECT_DOUBLE_EQ(plan.beams[1].controlPoints[1].gantryAngle_deg, 90.0);
  EXPECT_DOUBLE_EQ(*plan.beams[1].meterset, 95.25);
}

TEST(RtPlanImport, TruncatedOrWrongFilesAreRefused) {
  const Error truncated =
      errorOf([] { io::readRtPlan(sharedData("malformed/rtplan_truncated.dcm")); });
  EXPECT_EQ(truncated.kind(), ErrorKind::Corrupt);
  EXPECT_NE(std::string(truncated.what()).find("cannot be read"), std::string::npos)
      << truncated.what();
  EXPECT_EQ(errorOf([] { io::readRtPlan(sharedData("rt-plan-raystation/RD_beam1.dcm")); }).kind(),
            ErrorKind::InvalidInput);
}

}  // namespace
}  // namespace twinplan
