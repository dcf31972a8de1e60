#pragma once
// Compare segments (issue #16 item 6): pick segment A and segment B among every label map of the
// case (same or different grids), Compute runs segmentation::compareSegments in the background
// with Cancel, and the panel shows Dice, Jaccard, Hausdorff (max and 95th percentile), mean
// surface distance and the volumes with their difference; Copy and Export give the figures as
// CSV. A radiologist checks an automatic segment against a manual one, or a follow-up against
// the baseline.
#include <QWidget>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "twinplan/segmentation/segment_comparison.h"
#include "twinplan/ui/segment_table.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace twinplan::ui {

class CaseDocument;

class SegmentComparisonPanel : public QWidget {
  Q_OBJECT
 public:
  explicit SegmentComparisonPanel(CaseDocument* document, QWidget* parent = nullptr);

  QComboBox* segmentACombo() const { return a_; }
  QComboBox* segmentBCombo() const { return b_; }
  QTableWidget* resultTable() const { return results_; }
  void setSegments(const SegmentRef& a, const SegmentRef& b);

  // Runs the comparison (a progress dialog with Cancel after 300 ms). Returns false when it was
  // cancelled or failed (the reason is then shown in the panel).
  bool compute();
  const std::optional<segmentation::SegmentComparison>& result() const { return result_; }
  // "segment_a,segment_b,dice,...\n<values>\n" (metre-free units in the column names).
  QString csv() const;
  void copyCsv() const;
  // Writes csv() to `file`; throws twinplan::Error(Io) when it cannot.
  void exportCsv(const std::filesystem::path& file) const;
  // Where Export writes (a file dialog by default; tests answer here).
  void setPathChooser(std::function<std::filesystem::path()> chooser) {
    choosePath_ = std::move(chooser);
  }

 private:
  void refreshChoices();
  std::optional<SegmentRef> chosen(const QComboBox* combo) const;
  void showResult();
  void showMessage(const QString& text);

  CaseDocument* document_ = nullptr;
  QComboBox* a_ = nullptr;
  QComboBox* b_ = nullptr;
  QPushButton* compute_ = nullptr;
  QPushButton* copy_ = nullptr;
  QPushButton* export_ = nullptr;
  QTableWidget* results_ = nullptr;
  QLabel* message_ = nullptr;
  std::vector<SegmentRef> choices_;
  std::optional<segmentation::SegmentComparison> result_;
  std::string nameA_, nameB_;
  std::function<std::filesystem::path()> choosePath_;
};

}  // namespace twinplan::ui
