// Adding a series to an open case (issue #15 item 1): engine::importSeriesInto with the patient
// check a radiologist expects, follow-up studies named by their date, and the undoable edit.
// Fixtures: the head phantom (CT and MR T1 of one study and frame of reference) written as DICOM;
// a follow-up study made from its MR by dcmtk's dcmodify (an independent tool).
#include <gtest/gtest.h>

#include "test_support.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/case_import.h"
#include "twinplan/engine/series_alignment.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;

class EngineSeriesImport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Head;
    options.scale = 0.25;  // 56x56x24 voxels: the test stays well under a second
    options.surfaceModels = false;
    head_ = new phantom::Phantom(phantom::makePhantom(options));
    dir_ = new test::TempDir("series-import");
    files_ = new phantom::PhantomFiles(phantom::writePhantom(*head_, dir_->path()));
  }
  static void TearDownTestSuite() {
    delete files_;
    delete dir_;
    delete head_;
  }
  static const io::DicomSeries& onlySeries(const io::DicomIndex& index) {
    EXPECT_EQ(index.allSeries().size(), 1u);
    return *index.allSeries().front();
  }
  static Case ctCase() { return engine::importCase(files_->seriesDirs[0], {}); }

  static phantom::Phantom* head_;
  static test::TempDir* dir_;
  static phantom::PhantomFiles* files_;
};
phantom::Phantom* EngineSeriesImport::head_ = nullptr;
test::TempDir* EngineSeriesImport::dir_ = nullptr;
phantom::PhantomFiles* EngineSeriesImport::files_ = nullptr;

TEST_F(EngineSeriesImport, MrOfTheSameStudyJoinsTheCtCaseInItsFrameAndUndoRemovesIt) {
  CaseEditor editor;
  editor.reset(ctCase());
  ASSERT_EQ(editor.twin().volumes.size(), 1u);
  const io::DicomIndex mrIndex = io::scanDicom(files_->seriesDirs[1]);
  const io::DicomSeries& mr = onlySeries(mrIndex);

  test::RecordingProgress progress;
  engine::ImportedSeries imported = engine::importSeriesInto(editor.twin(), mr, progress);
  EXPECT_EQ(imported.volume.name, "MR");
  EXPECT_FALSE(imported.followUp);
  EXPECT_TRUE(imported.otherPatient.empty());
  EXPECT_EQ(imported.reference.seriesInstanceUid, mr.seriesInstanceUid);
  EXPECT_EQ(imported.reference.files.size(), mr.instances.size());
  ASSERT_FALSE(progress.fractions.empty());
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);
  // The voxels are the phantom's MR (its truth), on its grid.
  const ImageVolume& truth = head_->twin.volumes[1];
  ASSERT_EQ(imported.volume.geometry().size, truth.geometry().size);
  EXPECT_LT((imported.volume.geometry().origin_lps - truth.geometry().origin_lps).norm(), 1e-3);
  for (std::int64_t k : {0, 11, 23})
    EXPECT_NEAR(imported.volume.valueAt(28, 30, k), truth.valueAt(28, 30, k), 0.5) << k;

  editor.apply(edits::addSeries(editor.twin(), std::move(imported.volume), imported.reference));
  ASSERT_EQ(editor.twin().volumes.size(), 2u);
  EXPECT_EQ(editor.twin().series.size(), 2u);
  // Same Frame of Reference UID: fused without registration (identity).
  const auto ctToMr = transformBetween(editor.twin(), "CT", "MR");
  ASSERT_TRUE(ctToMr.has_value());
  const Vec3 p(10.0, -20.0, 5.0);
  EXPECT_LT((ctToMr->apply(p) - p).norm(), 1e-12);

  editor.undo();
  EXPECT_EQ(editor.twin().volumes.size(), 1u);
  EXPECT_EQ(editor.twin().series.size(), 1u);
  EXPECT_EQ(editor.twin().volumes.front().name, "CT");
}

TEST_F(EngineSeriesImport, TheSameSeriesTwiceIsRefused) {
  const Case twin = ctCase();
  const io::DicomIndex ctIndex = io::scanDicom(files_->seriesDirs[0]);
  try {
    engine::importSeriesInto(twin, onlySeries(ctIndex));
    FAIL() << "accepted a series the case already has";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("already in the case"), std::string::npos) << e.what();
  }
}

TEST_F(EngineSeriesImport, AnotherPatientIsRefusedUnlessForcedAndSaysWhoIsWho) {
  Case twin = ctCase();
  twin.patientId = "OTHER-123";
  twin.patientName = "Other^Person";
  const io::DicomIndex mrIndex = io::scanDicom(files_->seriesDirs[1]);
  try {
    engine::importSeriesInto(twin, onlySeries(mrIndex));
    FAIL() << "accepted a series of another patient";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    const std::string message = e.what();
    EXPECT_NE(message.find("TWINPLAN-HEAD"), std::string::npos) << message;
    EXPECT_NE(message.find("OTHER-123"), std::string::npos) << message;
    EXPECT_EQ(e.context(), "TWINPLAN-HEAD");
  }
  engine::SeriesImportOptions force;
  force.allowOtherPatient = true;
  const engine::ImportedSeries forced =
      engine::importSeriesInto(twin, onlySeries(mrIndex), noProgress(), force);
  EXPECT_EQ(forced.volume.dicom.patientId, "TWINPLAN-HEAD");
  EXPECT_NE(forced.otherPatient.find("OTHER-123"), std::string::npos);
}

TEST(EngineSeriesPatient, IdDecidesAndNamesCompareOnlyWithoutIds) {
  Case twin;
  EXPECT_FALSE(engine::otherPatientReason(twin, "X", "A^B"));  // an empty case takes anyone
  twin.patientId = "123";
  twin.patientName = "DOE^JOHN";
  EXPECT_FALSE(engine::otherPatientReason(twin, "123", "Doe^John^^"));
  // Patient ID is the primary identifier (PS3.3 C.7.1.1): same ID, same patient even when the
  // name was spelt differently; another ID, another patient even with the same name.
  EXPECT_FALSE(engine::otherPatientReason(twin, "123", "DOE^JON"));
  EXPECT_TRUE(engine::otherPatientReason(twin, "124", "DOE^JOHN"));
  // Anonymised (no ID on one side): the name decides; trailing empty components and case do not
  // count (PS3.5 6.2.1).
  EXPECT_FALSE(engine::otherPatientReason(twin, "", "doe^john^^"));
  EXPECT_TRUE(engine::otherPatientReason(twin, "", "ROE^JANE"));
  twin.patientId.clear();
  twin.patientName.clear();
  ImageVolume fromDicom;
  fromDicom.dicom.patientId = "777";
  twin.volumes.push_back(fromDicom);  // the case knows its patient from its volumes
  EXPECT_TRUE(engine::otherPatientReason(twin, "778", ""));
  EXPECT_FALSE(engine::otherPatientReason(twin, "777", ""));
}

TEST_F(EngineSeriesImport, AFollowUpStudyIsAcceptedAndNamedByItsStudyDate) {
  // A later study of the same patient: the MR series copied with a new Study Instance UID,
  // Study Date, Series Instance UID and SOP Instance UIDs (dcmodify, dcmtk).
  const fs::path followUp = dir_->path() / "follow-up";
  fs::create_directories(followUp);
  for (const auto& entry : fs::directory_iterator(files_->seriesDirs[1]))
    fs::copy_file(entry.path(), followUp / entry.path().filename());
  const auto result = test::runCommand(
      "dcmodify -nb -m '(0020,000D)=1.2.826.0.1.3680043.2.1125.99.1' -m '(0008,0020)=20270115' "
      "-m '(0020,000E)=1.2.826.0.1.3680043.2.1125.99.2' -gin '" +
      followUp.string() + "'/* 2>&1");
  ASSERT_EQ(result.status, 0) << result.output;

  Case twin = ctCase();
  const io::DicomIndex index = io::scanDicom(followUp);
  const engine::ImportedSeries imported = engine::importSeriesInto(twin, onlySeries(index));
  EXPECT_TRUE(imported.followUp);
  EXPECT_EQ(imported.volume.name, "MR 2027-01-15");
  EXPECT_EQ(imported.volume.dicom.studyInstanceUid, "1.2.826.0.1.3680043.2.1125.99.1");

  // Without a study date the name still says what it is.
  DicomInfo undated = imported.volume.dicom;
  undated.studyDate.clear();
  EXPECT_EQ(engine::seriesVolumeName(twin, undated), "MR follow-up");
  DicomInfo sameStudy = twin.volumes.front().dicom;
  sameStudy.modality = "PT";
  EXPECT_EQ(engine::seriesVolumeName(twin, sameStudy), "PT");
}

// What the Series panel says about each series, and whether the views may fuse it.
TEST(EngineSeriesAlignment, SameFrameRegisteredOrNot) {
  auto volume = [](const std::string& name, const std::string& frame) {
    ImageVolume v(ImageGeometry{}, PixelType::Int16);
    v.name = name;
    v.dicom.frameOfReferenceUid = frame;
    return v;
  };
  Case twin;
  twin.volumes = {volume("CT", "1.2.3"), volume("PT", "1.2.3"), volume("MR", "9.9"),
                  volume("CT 2027-01-15", "7.7")};
  using State = engine::SeriesAlignment::State;
  const auto self = engine::seriesAlignment(twin, "CT", "CT");
  EXPECT_EQ(self.state, State::Background);
  EXPECT_TRUE(self.fusable());
  const auto pet = engine::seriesAlignment(twin, "CT", "PT");
  EXPECT_EQ(pet.state, State::SameFrame);
  EXPECT_EQ(pet.text, "same frame as CT");
  ASSERT_TRUE(pet.fusable());
  EXPECT_EQ(pet.backgroundToSeries->kind, SpatialTransform::Kind::Identity);
  const auto mr = engine::seriesAlignment(twin, "CT", "MR");
  EXPECT_EQ(mr.state, State::NotRegistered);
  EXPECT_EQ(mr.text, "not registered");
  EXPECT_FALSE(mr.fusable());

  // A rigid registration MR -> CT (fixed MR): the CT-background view uses its inverse.
  Registration rigid;
  rigid.fixedVolume = "MR";
  rigid.movingVolume = "CT";
  rigid.method = "rigid";
  rigid.transform = SpatialTransform::rigid(Mat3::Identity(), Vec3(5.0, -3.0, 2.0));
  twin.registrations.push_back(rigid);
  const auto registered = engine::seriesAlignment(twin, "CT", "MR");
  EXPECT_EQ(registered.state, State::Registered);
  EXPECT_EQ(registered.text, "registered (rigid)");
  ASSERT_TRUE(registered.fusable());
  // CT point (0,0,0) is MR point (-5, 3, -2): the inverse of MR -> CT's +5, -3, +2 mm.
  EXPECT_LT((registered.backgroundToSeries->apply(Vec3::Zero()) - Vec3(-5.0, 3.0, -2.0)).norm(),
            1e-12);
  EXPECT_THROW(engine::seriesAlignment(twin, "CT", "US"), Error);
}

}  // namespace
}  // namespace twinplan
