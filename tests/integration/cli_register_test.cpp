// `twinplan-cli register` and the "register" job end to end (issue #15, deliverables 3 and 5):
// the head phantom written as DICOM, its MR moved by a known rigid transform (geometry
// rewritten), registered back through the real binary; the JSON contract, the transform file
// read back by ITK's reader, the registration stored in a case, and the refusals.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/registration/transform_file.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string cli() { return test::cliPath().string(); }

class CliRegister : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-cli-register");
    phantom::Phantom head = test::headPhantom(0.5);
    fixedGrid_ = new ImageGeometry(test::volumeOf(head, "CT").geometry());
    tumour_ = head.tumours.front().centre_lps;
    // The MR as if the patient had moved between the scans.
    for (ImageVolume& v : head.twin.volumes)
      if (v.name == "MR T1") v = test::movedRigidly(v, test::knownRigidMotion(), v.name);
    files_ = new phantom::PhantomFiles(phantom::writePhantom(head, dir_->path() / "head"));
    // Landmarks: the tumour centre and four skull-scale points, mapped by the truth.
    json pairs = json::array();
    const SpatialTransform truth = test::knownRigidMotion();
    const std::vector<Vec3> points = {tumour_, {-60, 0, 20}, {60, 10, 20}, {0, -80, 0}, {0, 0, 60}};
    for (std::size_t n = 0; n < points.size(); ++n) {
      const Vec3 m = truth.apply(points[n]);
      pairs.push_back({{"name", "P" + std::to_string(n)},
                       {"fixed_lps", {points[n][0], points[n][1], points[n][2]}},
                       {"moving_lps", {m[0], m[1], m[2]}}});
    }
    std::ofstream(dir_->path() / "landmarks.json") << json{{"pairs", pairs}}.dump();
  }
  static void TearDownTestSuite() {
    delete files_;
    delete fixedGrid_;
    delete dir_;
  }
  static std::string ctDir() { return files_->seriesDirs.at(0).string(); }
  static std::string mrDir() { return files_->seriesDirs.at(1).string(); }
  static std::string landmarks() { return (dir_->path() / "landmarks.json").string(); }

  static test::TempDir* dir_;
  static phantom::PhantomFiles* files_;
  static ImageGeometry* fixedGrid_;
  static Vec3 tumour_;
};
test::TempDir* CliRegister::dir_ = nullptr;
phantom::PhantomFiles* CliRegister::files_ = nullptr;
ImageGeometry* CliRegister::fixedGrid_ = nullptr;
Vec3 CliRegister::tumour_ = Vec3::Zero();

TEST_F(CliRegister, RigidCtToMovedMrPrintsTheContractAndWritesTheTransform) {
  ASSERT_NE(mrDir().find("MR"), std::string::npos);
  const fs::path tfm = dir_->path() / "mr-to-ct.tfm";
  const auto run = test::runCommand(cli() + " register " + ctDir() + " " + mrDir() +
                                    " --method rigid --landmarks " + landmarks() + " --out " +
                                    tfm.string() + " --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["method"], "rigid");
  ASSERT_TRUE(r["metric_value"].is_number());
  EXPECT_LT(r["metric_value"].get<double>(), 0.0);
  EXPECT_GT(r["iterations"].get<int>(), 0);
  EXPECT_GT(r["time_s"].get<double>(), 0.0);
  // The landmarks (tumour centre and four others) land within 1 mm of their partners.
  EXPECT_LT(r["tre_mm"].get<double>(), 1.0);
  EXPECT_LT(r["tre_max_mm"].get<double>(), 1.0);
  // Angles and translation as the truth has them about the reported centre.
  const SpatialTransform truth = test::knownRigidMotion();
  const Vec3 angles = truth.eulerAngles_deg();
  const Vec3 centre(r["centre_lps"][0], r["centre_lps"][1], r["centre_lps"][2]);
  const Vec3 truthTranslation = truth.apply(centre) - centre;
  for (int a = 0; a < 3; ++a) {
    EXPECT_NEAR(r["rotation_deg"][a].get<double>(), angles[a], 0.5) << a;
    EXPECT_NEAR(r["translation_mm"][a].get<double>(), truthTranslation[a], 1.0) << a;
  }
  // The file is ITK's, read back by ITK's reader, and is the same transform.
  const SpatialTransform fromFile = registration::readItkTransformFile(tfm);
  EXPECT_LT(test::maxDisagreement_mm(fromFile, truth, test::boxCorners(*fixedGrid_)), 1.0);
  std::cout << "CLI rigid CT->MR: TRE mean " << r["tre_mm"] << " max " << r["tre_max_mm"]
            << " mm, " << r["time_s"] << " s\n";
}

TEST_F(CliRegister, LandmarkMethodRegistersByThePointsAlone) {
  const auto run = test::runCommand(cli() + " register " + ctDir() + " " + mrDir() +
                                    " --method landmark --landmarks " + landmarks() +
                                    " --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["method"], "landmark");
  EXPECT_TRUE(r["metric_value"].is_null());
  EXPECT_LT(r["tre_max_mm"].get<double>(), 1e-6);  // noiseless pairs: exact
}

TEST_F(CliRegister, JobOnACaseStoresTheRegistration) {
  const fs::path output = dir_->path() / "registered.twinplan";
  const json job = {{"job", "register"},
                    {"parameters",
                     {{"case", files_->caseFile.string()},
                      {"fixedVolume", "CT"},
                      {"movingVolume", "MR T1"},
                      {"output", output.string()}}}};
  std::ofstream(dir_->path() / "job.json") << job.dump();
  const auto run =
      test::runCommand(cli() + " --json run " + (dir_->path() / "job.json").string() + " 2>&1");
  ASSERT_EQ(run.status, 0) << run.output;
  const Case twin = loadCase(output);
  ASSERT_EQ(twin.registrations.size(), 1u);
  const Registration& stored = twin.registrations.front();
  EXPECT_EQ(stored.fixedVolume, "CT");
  EXPECT_EQ(stored.movingVolume, "MR T1");
  EXPECT_EQ(stored.method, "rigid");
  EXPECT_TRUE(stored.quality["metric_value"].is_number());
  EXPECT_LT(test::maxDisagreement_mm(stored.transform, test::knownRigidMotion(),
                                     test::boxCorners(*fixedGrid_)),
            1.0);
}

TEST_F(CliRegister, RefusesA2DImageAMissingFolderAndAnUnknownMethodNamingThem) {
  const std::string cr = test::sharedData("dicomdir/77654033/CR1").string();
  auto run = test::runCommand(cli() + " register " + ctDir() + " " + cr + " 2>&1");
  EXPECT_EQ(run.status, 5) << run.output;  // unsupported
  EXPECT_NE(run.output.find("2D projection image"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("the series \"CR series in " + cr), std::string::npos) << run.output;

  run = test::runCommand(cli() + " register " + ctDir() + " /nonexistent/twinplan/mr 2>&1");
  EXPECT_EQ(run.status, 4) << run.output;  // not found
  EXPECT_NE(run.output.find("/nonexistent/twinplan/mr"), std::string::npos) << run.output;

  run = test::runCommand(cli() + " register " + ctDir() + " " + mrDir() + " --method demons 2>&1");
  EXPECT_EQ(run.status, 3) << run.output;
  EXPECT_NE(run.output.find("\"demons\" is not a registration method"), std::string::npos)
      << run.output;

  run = test::runCommand(cli() + " register " + ctDir() + " " + mrDir() +
                         " --method landmark 2>&1");
  EXPECT_EQ(run.status, 3) << run.output;
  EXPECT_NE(run.output.find("landmarks"), std::string::npos) << run.output;
}

TEST_F(CliRegister, RefusesSeriesThatDoNotOverlap) {
  phantom::Phantom head = test::headPhantom(0.5);
  for (ImageVolume& v : head.twin.volumes)
    if (v.name == "MR T1")
      v = test::movedRigidly(v, SpatialTransform::rigid(Mat3::Identity(), Vec3(0, 0, 900)),
                             v.name);
  const auto far = phantom::writePhantom(head, dir_->path() / "far");
  const auto run = test::runCommand(cli() + " register " + far.seriesDirs.at(0).string() + " " +
                                    far.seriesDirs.at(1).string() + " 2>&1");
  EXPECT_EQ(run.status, 3) << run.output;
  EXPECT_NE(run.output.find("do not overlap"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("MR series in"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace twinplan
