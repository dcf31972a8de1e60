// DICOM Spatial Registration (issue #15, deliverable 3): our objects read by dcmdump and pydicom
// with the matrix PS3.3 C.20.2.1.1 defines (moving -> Registered RCS = fixed), round trips, an
// object made by pydicom read to the hand-worked transform, and damaged objects refused naming
// the attribute.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dicom_sro_reader.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_registration.h"
#include "twinplan/io/dicom_writer.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::io {
namespace {

using nlohmann::json;

// Writes a Spatial Registration by hand with pydicom: fixed frame 1.2.3.4 (identity), moving
// frame 1.2.3.5 with the matrix moving -> fixed given on the command line (16 values);
// "--no-matrix" leaves the moving item's matrix out.
constexpr const char* kPydicomWriter = R"(
import sys
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian
out, values = sys.argv[1], [float(v) for v in sys.argv[2].split(",")]
drop = len(sys.argv) > 3 and sys.argv[3] == "--no-matrix"
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.1"
meta.MediaStorageSOPInstanceUID = "1.2.3.9"
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.is_little_endian, ds.is_implicit_VR = True, False
ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, "1.2.3.9"
ds.Modality, ds.FrameOfReferenceUID = "REG", "1.2.3.4"
def item(frame, matrix, with_matrix=True):
    m = Dataset()
    if with_matrix:
        m.FrameOfReferenceTransformationMatrix = matrix
    m.FrameOfReferenceTransformationMatrixType = "RIGID"
    reg = Dataset()
    reg.MatrixSequence = Sequence([m])
    i = Dataset()
    i.FrameOfReferenceUID = frame
    i.MatrixRegistrationSequence = Sequence([reg])
    return i
identity = [1,0,0,0, 0,1,0,0, 0,0,1,0, 0,0,0,1]
ds.RegistrationSequence = Sequence([item("1.2.3.4", identity), item("1.2.3.5", values, not drop)])
ds.save_as(out, write_like_original=False)
)";

class DicomRegistration : public ::testing::Test {
 protected:
  // A head phantom's CT and MR written as two series in two frames of reference and studies.
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-sro");
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Head;
    options.scale = 0.25;
    options.surfaceModels = false;
    const phantom::Phantom head = phantom::makePhantom(options);
    DicomWriteOptions ct, mr;
    ct.frameOfReferenceUid = makeDicomUid(UidKind::FrameOfReference);
    mr.frameOfReferenceUid = makeDicomUid(UidKind::FrameOfReference);
    mr.studyInstanceUid = makeDicomUid(UidKind::Study);
    writeDicomSeries(*findVolume(head.twin, "CT"), dir_->path() / "ct", ct);
    writeDicomSeries(*findVolume(head.twin, "MR T1"), dir_->path() / "mr", mr);
    fixed_ =
        new DicomSeries(scanDicom(dir_->path() / "ct").patients.at(0).studies.at(0).series.at(0));
    moving_ =
        new DicomSeries(scanDicom(dir_->path() / "mr").patients.at(0).studies.at(0).series.at(0));
    std::ofstream(dir_->path() / "read_sro.py") << test::kPydicomSroReader;
    std::ofstream(dir_->path() / "write_sro.py") << kPydicomWriter;
  }
  static void TearDownTestSuite() {
    delete fixed_;
    delete moving_;
    delete dir_;
  }
  static json pydicomRead(const std::filesystem::path& file) {
    const auto result = test::readSroWithPydicom(*dir_ / "read_sro.py", file);
    EXPECT_EQ(result.status, 0) << result.output;
    return json::parse(result.output);
  }
  static test::TempDir* dir_;
  static DicomSeries* fixed_;
  static DicomSeries* moving_;
};
test::TempDir* DicomRegistration::dir_ = nullptr;
DicomSeries* DicomRegistration::fixed_ = nullptr;
DicomSeries* DicomRegistration::moving_ = nullptr;

SpatialTransform rigidExample() {
  const Mat3 r = (Eigen::AngleAxisd(0.3, Vec3::UnitZ()) * Eigen::AngleAxisd(-0.1, Vec3::UnitX()))
                     .toRotationMatrix();
  return SpatialTransform::rigid(r, Vec3(12.5, -7.25, 3.125), Vec3(10, 20, -30));
}

TEST_F(DicomRegistration, PydicomAndDcmdumpReadTheInverseMatrixFromTheMovingFrameToTheFixed) {
  const SpatialTransform transform = rigidExample();
  const auto file = *dir_ / "rigid.dcm";
  writeSpatialRegistration(transform, *fixed_, *moving_, file);

  const json sro = pydicomRead(file);
  EXPECT_EQ(sro["sopClass"], "1.2.840.10008.5.1.4.1.1.66.1");
  EXPECT_EQ(sro["modality"], "REG");
  EXPECT_EQ(sro["for"], fixed_->frameOfReferenceUid);  // the Registered RCS
  ASSERT_EQ(sro["items"].size(), 2u);
  EXPECT_EQ(sro["items"][0]["for"], fixed_->frameOfReferenceUid);
  EXPECT_EQ(sro["items"][1]["for"], moving_->frameOfReferenceUid);
  EXPECT_EQ(sro["items"][1]["type"], "RIGID");
  EXPECT_EQ(sro["items"][0]["images"], fixed_->instances.size());
  EXPECT_EQ(sro["items"][1]["images"], moving_->instances.size());
  EXPECT_EQ(sro["referencedSeries"], 1);  // the fixed series, in the SRO's own study
  EXPECT_EQ(sro["otherStudies"], 1);      // the MR's study
  // A moving point p_m maps to the fixed point p_f with transform(p_f) = p_m.
  const Vec3 p_fixed(31.0, -12.0, 44.0);
  const Vec3 p_moving = transform.apply(p_fixed);
  Eigen::Matrix4d m;
  for (int n = 0; n < 16; ++n) m(n / 4, n % 4) = sro["items"][1]["matrix"][n].get<double>();
  EXPECT_LT((m * p_moving.homogeneous() - p_fixed.homogeneous()).norm(), 1e-9);
  for (int n = 0; n < 16; ++n)
    EXPECT_EQ(sro["items"][0]["matrix"][n].get<double>(), n % 5 == 0 ? 1.0 : 0.0);

  const auto dump = test::runCommand("dcmdump +P 3006,00c6 +P 0070,030c " + file.string());
  EXPECT_EQ(dump.status, 0);
  EXPECT_NE(dump.output.find("RIGID"), std::string::npos) << dump.output;
  EXPECT_NE(dump.output.find("FrameOfReferenceTransformationMatrix"), std::string::npos);
}

TEST_F(DicomRegistration, RigidAndAffineRoundTrip) {
  Mat3 a;
  a << 1.05, 0.02, 0.0, -0.01, 0.97, 0.03, 0.0, 0.01, 1.1;
  for (const SpatialTransform& transform :
       {rigidExample(), SpatialTransform::affine(a, Vec3(-4, 5, 6), Vec3(1, 2, 3))}) {
    const auto file = *dir_ / "roundtrip.dcm";
    const auto written = writeSpatialRegistration(transform, *fixed_, *moving_, file);
    const SpatialRegistrationRead read = readSpatialRegistration(file);
    EXPECT_EQ(read.fixedToMoving.kind, transform.kind);
    EXPECT_EQ(read.matrixType,
              transform.kind == SpatialTransform::Kind::Rigid ? "RIGID" : "AFFINE");
    EXPECT_EQ(read.fixedFrameOfReferenceUid, fixed_->frameOfReferenceUid);
    EXPECT_EQ(read.movingFrameOfReferenceUid, moving_->frameOfReferenceUid);
    EXPECT_EQ(read.sopInstanceUid, written.sopInstanceUid);
    // DS values keep 16 characters (PS3.5 6.2), about 13 significant digits.
    for (const Vec3& p : {Vec3(0, 0, 0), Vec3(150, -120, 90), Vec3(-200, 180, -60)})
      EXPECT_LT((read.fixedToMoving.apply(p) - transform.apply(p)).norm(), 1e-8);
  }
}

TEST_F(DicomRegistration, AnSroWrittenByPydicomReadsToTheWorkedOutTransform) {
  // Moving -> fixed: 90 deg about S, then (+10, +20, +30): B = (1, 2, 3) -> A = (8, 21, 33).
  const auto file = *dir_ / "pydicom.dcm";
  const auto made = test::runCommand("/usr/bin/python3 " + (*dir_ / "write_sro.py").string() + " " +
                                     file.string() + " 0,-1,0,10,1,0,0,20,0,0,1,30,0,0,0,1");
  ASSERT_EQ(made.status, 0) << made.output;
  const SpatialRegistrationRead read = readSpatialRegistration(file);
  EXPECT_EQ(read.fixedFrameOfReferenceUid, "1.2.3.4");
  EXPECT_EQ(read.movingFrameOfReferenceUid, "1.2.3.5");
  EXPECT_EQ(read.fixedToMoving.kind, SpatialTransform::Kind::Rigid);
  EXPECT_LT((read.fixedToMoving.apply(Vec3(8, 21, 33)) - Vec3(1, 2, 3)).norm(), 1e-12);
  EXPECT_LT((read.fixedToMoving.apply(Vec3(10, 20, 30)) - Vec3(0, 0, 0)).norm(), 1e-12);
}

TEST_F(DicomRegistration, DamagedOrForeignObjectsAndBSplinesAreRefusedWithTheReason) {
  const auto file = *dir_ / "damaged.dcm";
  ASSERT_EQ(test::runCommand("/usr/bin/python3 " + (*dir_ / "write_sro.py").string() + " " +
                             file.string() + " 1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1 --no-matrix")
                .status,
            0);
  try {
    readSpatialRegistration(file);
    FAIL() << "a registration without its matrix was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("(3006,00c6)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("item 2"), std::string::npos) << e.what();
  }
  try {
    readSpatialRegistration(moving_->instances.front().file);
    FAIL() << "an MR image was read as a registration";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  EXPECT_THROW(readSpatialRegistration(*dir_ / "absent.dcm"), Error);

  SpatialTransform bspline = rigidExample();
  bspline.kind = SpatialTransform::Kind::BSpline;
  try {
    writeSpatialRegistration(bspline, *fixed_, *moving_, *dir_ / "bspline.dcm");
    FAIL() << "a B-spline was written";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("ITK transform file"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "bspline.dcm"));
}

}  // namespace
}  // namespace twinplan::io
