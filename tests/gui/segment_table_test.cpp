// The Segments table, its terminology picker and the Compare segments panel on a real case
// document (issue #16 items 3 and 6): every change made in the table is one undo step of the
// case, the volumes are the analytic ones, and the comparison of a box with itself shifted by
// two voxels on another grid gives the exact overlap and distances.
#include "twinplan/ui/segment_table.h"

#include <gtest/gtest.h>

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/segment_comparison_panel.h"
#include "twinplan/ui/terminology_dialog.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;

// A 2 x 1 x 3 mm grid of 30 x 20 x 12 voxels. "Liver": the box i 5..14, j 4..11, k 3..8
// (10 x 8 x 6 = 480 voxels of 6 mm3: 2.88 ml) in layer 0; "Tumour": the box i 8..9, j 6..7,
// k 5..6 (8 voxels: 0.048 ml) in layer 1.
constexpr int kBoxLo[3] = {5, 4, 3}, kBoxHi[3] = {14, 11, 8};

ImageGeometry grid() {
  ImageGeometry g;
  g.size = {30, 20, 12};
  g.spacing_mm = Vec3(2.0, 1.0, 3.0);
  g.origin_lps = Vec3(-30.0, -10.0, -18.0);
  return g;
}

bool inBox(std::int64_t i, std::int64_t j, std::int64_t k) {
  return i >= kBoxLo[0] && i <= kBoxHi[0] && j >= kBoxLo[1] && j <= kBoxHi[1] && k >= kBoxLo[2] &&
         k <= kBoxHi[2];
}

LabelMap liverAndTumour() {
  const ImageGeometry g = grid();
  LabelMap labels(g);
  labels.name = "Review";
  Segment liver;
  liver.name = "Liver";
  liver.colour = {221, 130, 101};
  labels.addSegment(liver);
  Segment tumour;
  tumour.name = "Tumour";
  tumour.tissueType = "tumour";
  tumour.colour = {255, 255, 0};
  tumour.layer = 1;
  tumour.terminology = {{"49755003", "SCT", "Morphologically Abnormal Structure"},
                        {"108369006", "SCT", "Neoplasm"},
                        {}};
  labels.addSegment(tumour);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        if (inBox(i, j, k)) labels.layer(0)[g.linearIndex(i, j, k)] = 1;
        if (i >= 8 && i <= 9 && j >= 6 && j <= 7 && k >= 5 && k <= 6)
          labels.layer(1)[g.linearIndex(i, j, k)] = 1;
      }
  return labels;
}

Case reviewCase() {
  Case twin;
  twin.name = "Segment table";
  ImageVolume ct(grid(), PixelType::Int16);
  ct.name = "CT";
  twin.volumes.push_back(std::move(ct));
  twin.labelMaps.push_back(liverAndTumour());
  return twin;
}

void saveScreenshot(QWidget& widget, const char* name) {
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR"))
    widget.grab().save(QString::fromStdString((fs::path(dir) / name).string()), "PNG");
}

class SegmentTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    document_.reset(reviewCase());
    table_ = std::make_unique<SegmentTable>(&document_);
    table_->resize(640, 260);
    table_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(table_.get()));
  }
  QTableWidget* cells() { return table_->table(); }
  const Segment& segment(std::size_t index, std::size_t map = 0) {
    return document_.twin().labelMaps[map].segments()[index];
  }
  // A click, and the event-loop turn in which the table shows the edit it made.
  void click(int row, int column) {
    const QRect cell = cells()->visualItemRect(cells()->item(row, column));
    QTest::mouseClick(cells()->viewport(), Qt::LeftButton, {}, cell.center());
    QCoreApplication::processEvents();
  }

  CaseDocument document_;
  std::unique_ptr<SegmentTable> table_;
};

TEST_F(SegmentTableTest, RowsShowTheSegmentsWithTheirVolumes) {
  ASSERT_EQ(cells()->rowCount(), 2);
  EXPECT_EQ(cells()->item(0, SegmentTable::kName)->text(), "Liver");
  EXPECT_EQ(cells()->item(1, SegmentTable::kName)->text(), "Tumour");
  // 480 voxels x 6 mm3 = 2.88 ml; 8 x 6 mm3 = 0.048 ml (shown to 2 decimals).
  EXPECT_EQ(cells()->item(0, SegmentTable::kVolume)->text(), "2.88");
  EXPECT_EQ(cells()->item(1, SegmentTable::kVolume)->text(), "0.05");
  EXPECT_EQ(cells()->item(1, SegmentTable::kTerminology)->text(), "Neoplasm");
  EXPECT_TRUE(cells()
                  ->item(1, SegmentTable::kTerminology)
                  ->toolTip()
                  .contains("SCT 108369006 \"Neoplasm\", category SCT 49755003"));
  auto* tissue = qobject_cast<QComboBox*>(cells()->cellWidget(1, SegmentTable::kTissue));
  ASSERT_NE(tissue, nullptr);
  EXPECT_EQ(tissue->currentText(), "tumour");
  EXPECT_FALSE(table_->currentSegment());
}

TEST_F(SegmentTableTest, SelectingARowMakesItTheCurrentSegment) {
  QSignalSpy changed(table_.get(), &SegmentTable::currentSegmentChanged);
  click(1, SegmentTable::kName);
  ASSERT_TRUE(table_->currentSegment());
  EXPECT_EQ(*table_->currentSegment(), (SegmentRef{0, 1}));
  ASSERT_EQ(changed.count(), 1);
  EXPECT_EQ(changed.front().at(0).toInt(), 0);
  EXPECT_EQ(changed.front().at(1).toInt(), 1);
}

TEST_F(SegmentTableTest, ANewCaseHasNoCurrentSegment) {
  click(1, SegmentTable::kName);
  ASSERT_TRUE(table_->currentSegment());
  QSignalSpy changed(table_.get(), &SegmentTable::currentSegmentChanged);
  document_.reset(reviewCase());
  EXPECT_FALSE(table_->currentSegment());
  ASSERT_EQ(changed.count(), 1);
  EXPECT_EQ(changed.front().at(0).toInt(), -1);
  EXPECT_TRUE(cells()->selectedItems().isEmpty());
}

TEST_F(SegmentTableTest, EachEditIsOneUndoStep) {
  // Rename.
  cells()->item(0, SegmentTable::kName)->setText("Liver (reviewed)");
  EXPECT_EQ(segment(0).name, "Liver (reviewed)");
  EXPECT_EQ(document_.editor().undoText(), "Rename Liver to Liver (reviewed)");
  // Tissue type from the combo.
  auto* tissue = qobject_cast<QComboBox*>(cells()->cellWidget(0, SegmentTable::kTissue));
  const int liverKey = tissue->findText("liver");
  ASSERT_GE(liverKey, 0);
  tissue->setCurrentIndex(liverKey);
  emit tissue->activated(liverKey);
  EXPECT_EQ(segment(0).tissueType, "liver");
  // Lock by clicking the padlock.
  click(0, SegmentTable::kLock);
  EXPECT_TRUE(segment(0).locked);
  EXPECT_EQ(cells()->item(0, SegmentTable::kLock)->data(Qt::AccessibleTextRole).toString(),
            "locked");
  // Colour through the chooser.
  table_->setColourChooser([](const Rgb&) { return Rgb{10, 200, 30}; });
  click(0, SegmentTable::kColour);
  EXPECT_EQ(segment(0).colour, (Rgb{10, 200, 30}));
  // Visibility.
  cells()->item(1, SegmentTable::kVisible)->setCheckState(Qt::Unchecked);
  EXPECT_FALSE(segment(1).visible);
  EXPECT_EQ(document_.editor().historySize(), 5u);
  for (int step = 0; step < 5; ++step) document_.undo();
  EXPECT_EQ(document_.twin().labelMaps[0].segments(), liverAndTumour().segments());
  EXPECT_EQ(cells()->item(0, SegmentTable::kName)->text(), "Liver");
  EXPECT_EQ(cells()->item(1, SegmentTable::kVisible)->checkState(), Qt::Checked);
}

TEST_F(SegmentTableTest, TerminologyChoiceAlsoGivesTheTissueType) {
  table_->setTerminologyChooser([](const Segment&, QWidget*) {
    return std::optional<SegmentTerminology>(SegmentTerminology{
        {"123037004", "SCT", "Anatomical Structure"}, {"10200004", "SCT", "Liver"}, {}});
  });
  click(0, SegmentTable::kTerminology);
  EXPECT_EQ(segment(0).terminology.type.value, "10200004");
  EXPECT_EQ(segment(0).tissueType, "liver");  // it had none
  EXPECT_EQ(cells()->item(0, SegmentTable::kTerminology)->text(), "Liver");
  document_.undo();
  EXPECT_TRUE(segment(0).terminology.type.empty());
  EXPECT_TRUE(segment(0).tissueType.empty());
}

TEST_F(SegmentTableTest, ARefusedEditSaysWhyAndChangesNothing) {
  cells()->item(0, SegmentTable::kName)->setText("Tumour");  // taken
  QCoreApplication::processEvents();
  EXPECT_EQ(segment(0).name, "Liver");
  EXPECT_EQ(cells()->item(0, SegmentTable::kName)->text(), "Liver");
  EXPECT_TRUE(table_->messageLine()->text().contains("already called"));
  EXPECT_EQ(document_.editor().historySize(), 0u);
}

TEST_F(SegmentTableTest, AddDuplicateAndRemove) {
  click(0, SegmentTable::kName);
  table_->findChild<QPushButton*>("duplicateSegment")->click();
  ASSERT_EQ(document_.twin().labelMaps[0].segments().size(), 3u);
  EXPECT_EQ(segment(2).name, "Liver copy");
  EXPECT_EQ(cells()->item(2, SegmentTable::kVolume)->text(), "2.88");
  EXPECT_EQ(*table_->currentSegment(), (SegmentRef{0, 2}));
  table_->findChild<QPushButton*>("addSegment")->click();
  ASSERT_EQ(document_.twin().labelMaps[0].segments().size(), 4u);
  EXPECT_EQ(segment(3).name, "Segment 4");
  EXPECT_EQ(cells()->item(3, SegmentTable::kVolume)->text(), "0.00");
  // Remove the tumour: the liver's voxels stay, the table shows three rows.
  click(1, SegmentTable::kName);
  table_->findChild<QPushButton*>("removeSegment")->click();
  QCoreApplication::processEvents();
  ASSERT_EQ(cells()->rowCount(), 3);
  EXPECT_EQ(cells()->item(1, SegmentTable::kName)->text(), "Liver copy");
  document_.undo();
  document_.undo();
  document_.undo();
  EXPECT_EQ(document_.twin().labelMaps[0].segments(), liverAndTumour().segments());
  EXPECT_EQ(cells()->rowCount(), 2);
}

TEST_F(SegmentTableTest, ALockedSegmentCannotBeDeleted) {
  click(1, SegmentTable::kLock);
  ASSERT_TRUE(segment(1).locked);
  click(1, SegmentTable::kName);
  table_->findChild<QPushButton*>("removeSegment")->click();
  EXPECT_EQ(document_.twin().labelMaps[0].segments().size(), 2u);
  EXPECT_TRUE(table_->messageLine()->text().contains("locked"));
}

TEST(SegmentTable, FirstSegmentOfACaseMakesALabelMapOnTheSeriesGrid) {
  CaseDocument document;
  Case twin = reviewCase();
  twin.labelMaps.clear();
  document.reset(twin);
  SegmentTable table(&document);
  table.findChild<QPushButton*>("addSegment")->click();
  ASSERT_EQ(document.twin().labelMaps.size(), 1u);
  EXPECT_TRUE(document.twin().labelMaps[0].geometry().sameGridAs(grid()));
  EXPECT_EQ(document.twin().labelMaps[0].segments()[0].name, "Segment 1");
  EXPECT_EQ(document.editor().historySize(), 1u);
}

TEST(TerminologyDialog, SearchFiltersTheCatalogue) {
  TerminologyDialog dialog({});
  const int all = dialog.list()->count();
  EXPECT_GT(all, 50);
  QTest::keyClicks(dialog.searchBox(), "neoplasm");
  EXPECT_EQ(dialog.list()->count(), 3);
  EXPECT_FALSE(dialog.selected());
  dialog.list()->setCurrentRow(1);
  ASSERT_TRUE(dialog.selected());
  EXPECT_EQ(dialog.selected()->terminology.type.value, "372087000");  // Neoplasm, Primary
  dialog.searchBox()->clear();
  EXPECT_EQ(dialog.list()->count(), all);
}

// ---- Compare segments -------------------------------------------------------------------

// The boundary voxels' LPS centres (inside, with a face neighbour outside or off the grid),
// computed here from the box's analytic shape, independently of segment_comparison.cpp.
std::vector<Vec3> boxBoundary(const ImageGeometry& g) {
  std::vector<Vec3> points;
  for (int k = kBoxLo[2]; k <= kBoxHi[2]; ++k)
    for (int j = kBoxLo[1]; j <= kBoxHi[1]; ++j)
      for (int i = kBoxLo[0]; i <= kBoxHi[0]; ++i)
        if (i == kBoxLo[0] || i == kBoxHi[0] || j == kBoxLo[1] || j == kBoxHi[1] ||
            k == kBoxLo[2] || k == kBoxHi[2])
          points.push_back(g.indexToLps(Vec3(i, j, k)));
  return points;
}

std::vector<double> directed(const std::vector<Vec3>& from, const std::vector<Vec3>& to) {
  std::vector<double> d;
  for (const Vec3& p : from) {
    double best = 1e300;
    for (const Vec3& q : to) best = std::min(best, (p - q).norm());
    d.push_back(best);
  }
  return d;
}

TEST(SegmentComparisonPanel, ABoxAgainstItselfShiftedOnAnotherGrid) {
  // B: the same labels on a grid moved 4 mm (two 2 mm voxels) towards L: the liver box shifted.
  Case twin = reviewCase();
  ImageGeometry moved = grid();
  moved.origin_lps.x() += 4.0;
  LabelMap shifted(moved);
  shifted.name = "Shifted";
  shifted.layer(0) = twin.labelMaps[0].layer(0);
  Segment copy = twin.labelMaps[0].segments()[0];
  copy.name = "Liver shifted";
  shifted.addSegment(copy);
  twin.labelMaps.push_back(shifted);
  CaseDocument document;
  document.reset(twin);
  SegmentComparisonPanel panel(&document);
  panel.resize(420, 420);
  panel.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&panel));
  ASSERT_EQ(panel.segmentACombo()->count(), 3);
  EXPECT_EQ(panel.segmentBCombo()->itemText(2), "Liver shifted  (Shifted)");
  panel.setSegments({0, 0}, {1, 0});
  ASSERT_TRUE(panel.compute());
  const auto& r = *panel.result();

  // Overlap: 10 x 8 x 6 boxes sharing 8 of 10 columns along i.
  const double a = 480, both = 8 * 8 * 6;
  EXPECT_NEAR(r.dice, 2 * both / (2 * a), 1e-12);        // 0.8
  EXPECT_NEAR(r.jaccard, both / (2 * a - both), 1e-12);  // 2/3
  // The farthest boundary point: B's +L face, 4 mm from A's.
  EXPECT_NEAR(r.hausdorff_mm, 4.0, 1e-9);
  const auto boundaryA = boxBoundary(grid()), boundaryB = boxBoundary(moved);
  std::vector<double> all = directed(boundaryA, boundaryB);
  const std::vector<double> ba = directed(boundaryB, boundaryA);
  all.insert(all.end(), ba.begin(), ba.end());
  double mean = 0;
  for (double d : all) mean += d / static_cast<double>(all.size());
  std::sort(all.begin(), all.end());
  const double rank = 0.95 * static_cast<double>(all.size() - 1);  // numpy's linear percentile
  const auto below = static_cast<std::size_t>(std::floor(rank));
  const double p95 = all[below] + (rank - std::floor(rank)) * (all[below + 1] - all[below]);
  EXPECT_NEAR(r.meanSurfaceDistance_mm, mean, 1e-9);
  EXPECT_NEAR(r.hausdorff95_mm, p95, 1e-9);
  EXPECT_NEAR(r.volumeA_ml, 2.88, 1e-12);
  EXPECT_NEAR(r.volumeB_ml, 2.88, 1e-12);
  EXPECT_NEAR(r.volumeDifference_ml, 0.0, 1e-12);

  // What the panel shows and exports.
  EXPECT_EQ(panel.resultTable()->item(0, 1)->text(), "0.8000");
  EXPECT_EQ(panel.resultTable()->item(1, 1)->text(), "0.6667");
  EXPECT_EQ(panel.resultTable()->item(2, 1)->text(), "4.00");
  EXPECT_EQ(panel.resultTable()->item(5, 1)->text(), "2.88");
  const QStringList lines = panel.csv().split('\n', Qt::SkipEmptyParts);
  ASSERT_EQ(lines.size(), 2);
  EXPECT_EQ(lines[0],
            "segment_a,segment_b,dice,jaccard,hausdorff_mm,hausdorff95_mm,"
            "mean_surface_distance_mm,volume_a_ml,volume_b_ml,volume_difference_ml,"
            "volume_difference_percent");
  const QStringList values = lines[1].split(',');
  ASSERT_EQ(values.size(), 11);
  EXPECT_EQ(values[0], "Liver");
  EXPECT_EQ(values[1], "Liver shifted");
  EXPECT_NEAR(values[2].toDouble(), 0.8, 1e-9);
  EXPECT_NEAR(values[4].toDouble(), 4.0, 1e-9);
  test::TempDir dir("twinplan-compare-csv");
  panel.exportCsv(dir.path() / "comparison.csv");
  std::ifstream in(dir.path() / "comparison.csv");
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(QString::fromStdString(header), lines[0]);
  saveScreenshot(panel, "compare-segments.png");
  // A missing folder is a sentence, not a crash.
  EXPECT_THROW(panel.exportCsv(dir.path() / "no" / "such" / "c.csv"), Error);

  // Another pair clears the figures: they were of the old one.
  panel.setSegments({0, 0}, {0, 1});
  EXPECT_FALSE(panel.result());
  EXPECT_EQ(panel.resultTable()->item(0, 1)->text(), "–");
}

TEST(SegmentComparisonPanel, AnEmptySegmentIsRefusedWithAReason) {
  Case twin = reviewCase();
  Segment empty;
  empty.name = "Empty";
  empty.value = 2;
  twin.labelMaps[0].addSegment(empty);
  CaseDocument document;
  document.reset(twin);
  SegmentComparisonPanel panel(&document);
  panel.setSegments({0, 0}, {0, 2});
  EXPECT_FALSE(panel.compute());
  EXPECT_FALSE(panel.result());
  EXPECT_TRUE(panel.findChild<QLabel*>("compareMessage")->text().contains("Empty"));
}

TEST_F(SegmentTableTest, Screenshot) {
  table_->setTerminologyChooser([](const Segment&, QWidget*) {
    return std::optional<SegmentTerminology>(SegmentTerminology{
        {"123037004", "SCT", "Anatomical Structure"}, {"10200004", "SCT", "Liver"}, {}});
  });
  click(0, SegmentTable::kTerminology);
  click(0, SegmentTable::kLock);
  click(1, SegmentTable::kName);
  EXPECT_TRUE(segment(0).locked);
  saveScreenshot(*table_, "segment-table.png");
}

}  // namespace
}  // namespace twinplan::ui
