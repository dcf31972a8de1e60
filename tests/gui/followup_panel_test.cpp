// The Follow-up panel (issue #15 item 4) on a case of two studies 90 days apart on the head
// phantom's grid, tumours of known voxel counts: the table's cells carry the exact volumes and
// the 90-day doubling time, the chart draws the tumour's line in its colour, the table follows
// an edit of the label maps, and the main window shows the panel beside Series.
#include "twinplan/ui/followup_panel.h"

#include <gtest/gtest.h>

#include <QHeaderView>
#include <QImage>
#include <QPushButton>
#include <QTableWidget>
#include <filesystem>

#include "twinplan/core/case_edit.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;

const Rgb kTumourColour{230, 60, 40};

LabelMap tumourLabels(const ImageGeometry& grid, const std::string& name, int nx) {
  LabelMap labels(grid);
  labels.name = name;
  Segment s;
  s.name = "Tumour";
  s.colour = kTumourColour;
  const Segment& added = labels.segments()[labels.addSegment(s)];
  for (int k = 5; k < 7; ++k)
    for (int j = 10; j < 14; ++j)
      for (int i = 10; i < 10 + nx; ++i)
        labels.layer(added.layer)[grid.linearIndex(i, j, k)] = added.value;
  return labels;
}

Case followUpCase() {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.25;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  Case twin;
  twin.name = "Follow-up";
  ImageVolume baseline = head.twin.volumes.front();
  baseline.name = "CT";
  baseline.dicom.patientId = "TP-0001";
  baseline.dicom.studyDate = "20260101";
  ImageVolume later = baseline;
  later.name = "CT 2026-04-01";
  later.dicom.studyDate = "20260401";
  twin.volumes = {baseline, later};
  twin.labelMaps = {tumourLabels(baseline.geometry(), "Segmentation of CT", 4),  // 32 voxels
                    tumourLabels(later.geometry(), "Segmentation of CT 2026-04-01", 8)};
  return twin;
}

double voxel_ml(const Case& twin) {
  const Vec3& s = twin.volumes.front().geometry().spacing_mm;
  return s[0] * s[1] * s[2] / 1000.0;
}

QString header(const QTableWidget& table, int column) {
  return table.horizontalHeaderItem(column)->text();
}

TEST(FollowUpPanel, TableShowsExactVolumesAndDoublingTimeAndTheChartDrawsTheTumourLine) {
  CaseDocument document;
  document.reset(followUpCase());
  FollowUpPanel panel(&document);
  panel.resize(760, 560);
  panel.show();
  auto* table = panel.findChild<QTableWidget*>("growthTable");
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->rowCount(), 1);
  ASSERT_EQ(table->columnCount(), 8);
  EXPECT_EQ(header(*table, 1), "2026-01-01 (ml)");
  EXPECT_EQ(header(*table, 2), "2026-04-01 (ml)");
  EXPECT_EQ(table->item(0, 0)->text(), "Tumour");
  const double v = voxel_ml(document.twin());
  EXPECT_EQ(table->item(0, 1)->text(), QString::number(32 * v, 'f', 2));
  EXPECT_EQ(table->item(0, 2)->text(), QString::number(64 * v, 'f', 2));
  EXPECT_EQ(table->item(0, 4)->text(), "100.0");  // change %
  EXPECT_EQ(table->item(0, 6)->text(), "90.0");   // VDT: 90 ln2 / ln 2 days
  EXPECT_EQ(table->item(0, 7)->text(), "");

  auto* chart = panel.findChild<GrowthChart*>("growthChart");
  ASSERT_NE(chart, nullptr);
  const QImage image = chart->grab().toImage();
  int tumourPixels = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x)
      if (image.pixelColor(x, y) == QColor(kTumourColour.r, kTumourColour.g, kTumourColour.b))
        ++tumourPixels;
  EXPECT_GT(tumourPixels, 50) << "no line in the tumour's colour";
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR"))
    panel.grab().save(QString::fromStdString((fs::path(dir) / "followup-panel.png").string()));
}

TEST(FollowUpPanel, TableFollowsALabelMapEditAndFlagsADisappearedSegment) {
  CaseDocument document;
  document.reset(followUpCase());
  FollowUpPanel panel(&document);
  auto* table = panel.findChild<QTableWidget*>("growthTable");
  ASSERT_NE(table, nullptr);
  std::vector<LabelMap> labels = document.twin().labelMaps;
  std::fill(labels[1].layer(0).begin(), labels[1].layer(0).end(), std::uint16_t(0));
  document.apply(edits::replaceLabelMaps(document.twin(), labels, "Erase tumour"));
  ASSERT_EQ(table->rowCount(), 1);
  EXPECT_EQ(table->item(0, 2)->text(), "0.00");
  EXPECT_EQ(table->item(0, 7)->text(), "disappeared");
  EXPECT_EQ(table->item(0, 6)->text(), "-");
}

TEST(FollowUpPanel, MainWindowHasTheFollowUpPanelBesideSeries) {
  MainWindow window;
  window.document()->reset(followUpCase());
  auto* panel = window.findChild<FollowUpPanel*>("followUpPanel");
  ASSERT_NE(panel, nullptr);
  ASSERT_TRUE(panel->table());
  EXPECT_EQ(panel->table()->segments.size(), 1u);
  auto* button = panel->findChild<QPushButton*>("registerFollowUp");
  ASSERT_NE(button, nullptr);
  EXPECT_TRUE(button->isEnabled());
}

}  // namespace
}  // namespace twinplan::ui
