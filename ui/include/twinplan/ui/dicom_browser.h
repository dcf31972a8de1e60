#pragma once
// The DICOM browser: patients / studies / series of every folder imported in the session (a new
// import adds to the list), the series of the open case marked, and the files that were skipped
// with their reasons. Double-click (or Enter) on a volume series to open it as a case; "Add to
// case" (button or context menu) adds it to the open case, "Remove from case" takes it out.
#include <QImage>
#include <QWidget>
#include <map>
#include <set>
#include <string>

#include "twinplan/io/dicom_index.h"

class QTreeWidget;
class QTreeWidgetItem;
class QLabel;
class QPushButton;

namespace twinplan::ui {

class DicomBrowser : public QWidget {
  Q_OBJECT
 public:
  explicit DicomBrowser(QWidget* parent = nullptr);
  // Replaces everything listed by `index`.
  void setIndex(io::DicomIndex index);
  // Adds the patients, studies and series of `index` to those listed (a series scanned again
  // replaces its earlier listing); skipped files accumulate too.
  void addIndex(io::DicomIndex index);
  // Icons for the series rows, keyed by SeriesInstanceUID (kept for later imports).
  void setThumbnails(const std::map<std::string, QImage>& thumbnails);
  const io::DicomIndex& index() const { return index_; }
  // Selects the series row (for tests and keyboard users); false if absent.
  bool selectSeries(const std::string& seriesInstanceUid);
  // The SeriesInstanceUID of the selected series row, empty when none.
  std::string selectedSeries() const;
  // Marks the rows of the open case's series ("in case", bold) and selects the first of them;
  // enables "Add to case" only while a case with a volume is open (`caseOpen`).
  void setCaseSeries(std::set<std::string> seriesInstanceUids, bool caseOpen);
  const std::set<std::string>& caseSeries() const { return caseSeries_; }

 signals:
  void seriesActivated(const twinplan::io::DicomSeries& series);
  void addToCaseRequested(const twinplan::io::DicomSeries& series);
  void removeFromCaseRequested(const std::string& seriesInstanceUid);
  void importRequested();
  void skippedFilesRequested();

 private:
  void activate(QTreeWidgetItem* item);
  void rebuildTree();
  void showCaseMarks();
  void showContextMenu(const QPoint& position);
  void updateButtons();
  const io::DicomSeries* seriesOf(const QTreeWidgetItem* item) const;
  io::DicomIndex index_;
  std::map<std::string, QImage> thumbnails_;
  std::set<std::string> caseSeries_;
  bool caseOpen_ = false;
  QTreeWidget* tree_ = nullptr;
  QLabel* summary_ = nullptr;
  QPushButton* addButton_ = nullptr;
  QPushButton* removeButton_ = nullptr;
};

}  // namespace twinplan::ui
