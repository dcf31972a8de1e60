// Importing real DICOM through the UI: background scan into the browser, then loading a
// series as a new case, then saving it -- in a real window under Xvfb.
#include <gtest/gtest.h>

#include <QApplication>
#include <QTest>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/dicom_thumbnails.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

TEST(ImportThroughTheUi, SarcomaStudyListsAndLoadsTheCt) {
  MainWindow window;
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ASSERT_TRUE(window.importDicom(test::sharedData("sarcoma-ct-mr-pet/dicom")));
  const io::DicomIndex& index = window.dicomBrowser()->index();
  ASSERT_EQ(index.patients.size(), 1u);
  const io::DicomSeries* ct = nullptr;
  for (const io::DicomSeries* series : index.allSeries())
    if (series->modality == "CT" && series->kind == io::SeriesKind::Volume) ct = series;
  ASSERT_NE(ct, nullptr);
  EXPECT_TRUE(window.dicomBrowser()->selectSeries(ct->seriesInstanceUid));

  ASSERT_TRUE(window.loadSeries(*ct));
  const Case& twin = window.currentCase();
  ASSERT_EQ(twin.volumes.size(), 1u);
  EXPECT_EQ(twin.volumes[0].geometry().size[2], 59);
  EXPECT_EQ(twin.volumes[0].unit, "HU");
  ASSERT_EQ(twin.series.size(), 1u);
  EXPECT_EQ(twin.series[0].files.size(), 59u);
  // The views follow the new case: the axial slice sits inside the CT's z range.
  const double z = window.sliceViewport(rendering::SliceOrientation::Axial)->view().crosshair()[2];
  EXPECT_GT(z, -881.4);
  EXPECT_LT(z, -881.3 + 58 * 3.28);

  test::TempDir dir;
  ASSERT_TRUE(window.saveCaseAs(dir / "sarcoma.twinplan"));
  const Case reloaded = loadCase(dir / "sarcoma.twinplan");
  ASSERT_EQ(reloaded.volumes.size(), 1u);
  EXPECT_TRUE(std::equal(reloaded.volumes[0].bytes().begin(), reloaded.volumes[0].bytes().end(),
                         twin.volumes[0].bytes().begin()));
}

TEST(ImportThroughTheUi, ThumbnailsShowTheMiddleImageOfVolumesOnly) {
  const io::DicomIndex index = io::scanDicom(test::sharedData("sarcoma-ct-mr-pet/dicom"));
  for (const io::DicomSeries* series : index.allSeries()) {
    const QImage thumbnail = seriesThumbnail(*series, 48);
    if (series->kind != io::SeriesKind::Volume) {
      EXPECT_TRUE(thumbnail.isNull()) << series->description;
      continue;
    }
    ASSERT_FALSE(thumbnail.isNull()) << series->modality;
    EXPECT_EQ(std::max(thumbnail.width(), thumbnail.height()), 48);
    // An image, not a blank: both dark (air) and bright (tissue) pixels.
    int dark = 0, bright = 0;
    for (int y = 0; y < thumbnail.height(); ++y)
      for (int x = 0; x < thumbnail.width(); ++x) {
        const int grey = qGray(thumbnail.pixel(x, y));
        dark += grey < 40;
        bright += grey > 100;
      }
    EXPECT_GT(dark, 50) << series->modality;
    EXPECT_GT(bright, 50) << series->modality;
  }
}

TEST(ImportThroughTheUi, SeveralDroppedFilesImportTogether) {
  MainWindow window;
  const auto ctFolder = test::sharedData("seg-dcmqi/ct");
  std::vector<std::filesystem::path> dropped;
  for (const auto& entry : std::filesystem::directory_iterator(ctFolder)) dropped.push_back(entry.path());
  dropped.push_back(test::sharedData("seg-dcmqi/liver_seg.dcm"));
  window.importDroppedFiles(dropped);
  const io::DicomIndex& index = window.dicomBrowser()->index();
  ASSERT_EQ(index.allSeries().size(), 2u);  // the CT and its SEG
  const io::DicomSeries* ct = nullptr;
  for (const io::DicomSeries* series : index.allSeries())
    if (series->kind == io::SeriesKind::Volume) ct = series;
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(ct->instances.size(), 3u);
  ASSERT_TRUE(window.loadSeries(*ct));
  // The case remembers where the files really are, not the temporary links.
  for (const auto& file : window.currentCase().series[0].files)
    EXPECT_EQ(std::filesystem::path(file).parent_path(), std::filesystem::canonical(ctFolder)) << file;
}

TEST(ImportThroughTheUi, AMissingFolderIsAClearError) {
  MainWindow window;
  EXPECT_THROW(window.importDicom("/nonexistent/twinplan-import"), Error);
  EXPECT_TRUE(window.dicomBrowser()->index().patients.empty());
}

}  // namespace
}  // namespace twinplan::ui
