// RT Plan export (issue #19, item 1): a photon plan written by pydicom is read, written by
// writeRtPlan and read back by our reader (same plan) and by pydicom (the modules, references
// and the changed-only rule of later control points, PS3.3 C.8.8.14.5); plans that cannot be
// exported are refused without leaving a file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "error_of.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtplan.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using test::errorOf;
using test::runCommand;
using test::sharedData;
using test::TempDir;

const fs::path kTests = fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration";

io::RtPlan photonFixture(const TempDir& dir) {
  const fs::path file = dir / "RP_photon.dcm";
  const auto r = runCommand("/usr/bin/python3 '" + (kTests / "rtplan_photon_fixture.py").string() +
                            "' '" + file.string() + "' 2>&1");
  EXPECT_EQ(r.status, 0) << r.output;
  return io::readRtPlan(file);
}

io::RtPlanWriteOptions optionsFor(const io::RtPlan& plan) {
  io::RtPlanWriteOptions o;
  o.dicom = plan.dicom;
  o.dicom.frameOfReferenceUid = plan.frameOfReferenceUid;
  o.referencedStructureSetSopInstanceUid = "1.2.826.0.1.3680043.8.498.1";
  return o;
}

void expectSameBeams(const io::RtPlan& a, const io::RtPlan& b) {
  ASSERT_EQ(a.beams.size(), b.beams.size());
  for (std::size_t n = 0; n < a.beams.size(); ++n) {
    const io::Beam &x = a.beams[n], &y = b.beams[n];
    EXPECT_EQ(x.number, y.number);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.radiationType, y.radiationType);
    EXPECT_EQ(x.machine, y.machine);
    EXPECT_EQ(x.sourceAxisDistance_mm, y.sourceAxisDistance_mm);
    EXPECT_EQ(x.meterset, y.meterset);
    EXPECT_EQ(x.beamDose_Gy, y.beamDose_Gy);
    ASSERT_EQ(x.devices.size(), y.devices.size());
    for (std::size_t d = 0; d < x.devices.size(); ++d) {
      EXPECT_EQ(x.devices[d].type, y.devices[d].type);
      EXPECT_EQ(x.devices[d].leafJawPairs, y.devices[d].leafJawPairs);
      EXPECT_EQ(x.devices[d].leafBoundaries_mm, y.devices[d].leafBoundaries_mm);
    }
    ASSERT_EQ(x.controlPoints.size(), y.controlPoints.size());
    for (std::size_t c = 0; c < x.controlPoints.size(); ++c) {
      const io::ControlPoint &p = x.controlPoints[c], &q = y.controlPoints[c];
      EXPECT_EQ(p.cumulativeMetersetWeight, q.cumulativeMetersetWeight);
      EXPECT_EQ(p.nominalEnergy, q.nominalEnergy);
      EXPECT_EQ(p.gantryAngle_deg, q.gantryAngle_deg);
      EXPECT_EQ(p.collimatorAngle_deg, q.collimatorAngle_deg);
      EXPECT_EQ(p.couchAngle_deg, q.couchAngle_deg);
      EXPECT_EQ(p.isocentre_lps, q.isocentre_lps);
      ASSERT_EQ(p.devices.size(), q.devices.size()) << "beam " << x.number << " cp " << c;
      for (std::size_t d = 0; d < p.devices.size(); ++d) {
        EXPECT_EQ(p.devices[d].type, q.devices[d].type);
        EXPECT_EQ(p.devices[d].positions_mm, q.devices[d].positions_mm);
      }
    }
  }
}

TEST(RtPlanExport, PhotonPlanRoundTripsThroughOurReaderAndPydicom) {
  TempDir dir;
  const io::RtPlan source = photonFixture(dir);
  const fs::path out = dir / "exported.dcm";
  const std::string uid = io::writeRtPlan(source, out, optionsFor(source));

  const io::RtPlan back = io::readRtPlan(out);
  EXPECT_EQ(back.sopInstanceUid, uid);
  EXPECT_NE(uid, source.sopInstanceUid);
  EXPECT_EQ(back.label, source.label);
  EXPECT_EQ(back.frameOfReferenceUid, source.frameOfReferenceUid);
  EXPECT_EQ(back.referencedStructureSetSopInstanceUid, "1.2.826.0.1.3680043.8.498.1");
  EXPECT_EQ(back.prescriptionDose_Gy, source.prescriptionDose_Gy);
  EXPECT_EQ(back.patientPosition, "HFS");  // the fixture has no setup: the writer's default
  ASSERT_EQ(back.fractionGroups.size(), 1u);
  EXPECT_EQ(back.fractionGroups[0].fractionsPlanned, 30);
  EXPECT_EQ(back.fractionGroups[0].beamNumbers, (std::vector<int>{1, 2}));
  expectSameBeams(source, back);
  EXPECT_TRUE(back.notes.empty());

  const auto r = runCommand("/usr/bin/python3 '" + (kTests / "rtplan_pydicom.py").string() + "' '" +
                            out.string() + "' 2>&1");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json py = nlohmann::json::parse(r.output);
  EXPECT_EQ(py["sop_class"], io::kRtPlanSopClass);
  EXPECT_EQ(py["modality"], "RTPLAN");
  EXPECT_EQ(py["study"], source.dicom.studyInstanceUid);
  EXPECT_EQ(py["patient_id"], "TP-PHOTON");
  EXPECT_EQ(py["structure_set"], "1.2.826.0.1.3680043.8.498.1");
  EXPECT_DOUBLE_EQ(py["prescription_gy"].get<double>(), 60.0);
  EXPECT_EQ(py["meterset"], (std::vector<double>{120.5, 95.25}));
  const nlohmann::json& ap = py["beams"][0];
  EXPECT_EQ(ap["control_points"], 3);
  // Control point 0 states every machine setting; control point 1 only its new MLC (and its
  // weight), as the fixture did.
  const auto keywords0 = ap["points"][0]["keywords"].get<std::vector<std::string>>();
  for (const char* k : {"GantryAngle", "BeamLimitingDeviceAngle", "PatientSupportAngle",
                        "IsocenterPosition", "NominalBeamEnergy"})
    EXPECT_NE(std::find(keywords0.begin(), keywords0.end(), k), keywords0.end()) << k;
  EXPECT_EQ(ap["points"][0]["devices"], (std::vector<std::string>{"ASYMX", "ASYMY", "MLCX"}));
  EXPECT_EQ(ap["points"][1]["keywords"],
            (std::vector<std::string>{"BeamLimitingDevicePositionSequence", "ControlPointIndex",
                                      "CumulativeMetersetWeight"}));
  EXPECT_EQ(ap["points"][1]["devices"], (std::vector<std::string>{"MLCX"}));
}

TEST(RtPlanExport, PlansThatCannotBeExportedAreRefusedWithoutAFile) {
  TempDir dir;
  const io::RtPlan photon = photonFixture(dir);
  const fs::path out = dir / "refused.dcm";

  io::RtPlanWriteOptions noStructures = optionsFor(photon);
  noStructures.referencedStructureSetSopInstanceUid.clear();
  const Error patient = errorOf([&] { io::writeRtPlan(photon, out, noStructures); });
  EXPECT_EQ(patient.kind(), ErrorKind::InvalidInput);
  EXPECT_NE(std::string(patient.what()).find("Structure Set"), std::string::npos);

  io::RtPlan broken = photon;
  broken.beams[0].controlPoints[1].devices.back().positions_mm.pop_back();
  const Error leaves = errorOf([&] { io::writeRtPlan(broken, out, optionsFor(photon)); });
  EXPECT_EQ(leaves.kind(), ErrorKind::InvalidInput);
  EXPECT_NE(std::string(leaves.what()).find("beam 1 'AP', control point 1: device MLCX"),
            std::string::npos)
      << leaves.what();

  const io::RtPlan ion = io::readRtPlan(sharedData("rt-plan-raystation/RP_ion.dcm"));
  EXPECT_EQ(errorOf([&] { io::writeRtPlan(ion, out, optionsFor(ion)); }).kind(),
            ErrorKind::Unsupported);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace twinplan
