#pragma once
// The DICOM browser: patients / studies / series of the imported folders, and the files that
// were skipped with their reasons. Double-click (or Enter) on a volume series to load it.
#include <QImage>
#include <QWidget>
#include <map>

#include "twinplan/io/dicom_index.h"

class QTreeWidget;
class QTreeWidgetItem;
class QLabel;
class QAction;
class QPushButton;

namespace twinplan::ui {

class DicomBrowser : public QWidget {
  Q_OBJECT
 public:
  explicit DicomBrowser(QWidget* parent = nullptr);
  void setIndex(io::DicomIndex index);
  // Icons for the series rows, keyed by SeriesInstanceUID.
  void setThumbnails(const std::map<std::string, QImage>& thumbnails);
  const io::DicomIndex& index() const { return index_; }
  // Selects the series row (for tests and keyboard users); false if absent.
  bool selectSeries(const std::string& seriesInstanceUid);
  // The Import button offers these (a folder, a DICOMDIR or files) instead of emitting
  // importRequested.
  void setImportActions(const QList<QAction*>& actions);

 signals:
  void seriesActivated(const twinplan::io::DicomSeries& series);
  void importRequested();
  void skippedFilesRequested();

 private:
  void activate(QTreeWidgetItem* item);
  io::DicomIndex index_;
  QTreeWidget* tree_ = nullptr;
  QLabel* summary_ = nullptr;
  QPushButton* importButton_ = nullptr;
};

}  // namespace twinplan::ui
