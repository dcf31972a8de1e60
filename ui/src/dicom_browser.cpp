#include "twinplan/ui/dicom_browser.h"

#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QMenu>
#include <QPixmap>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "twinplan/io/dicom_image2d.h"

namespace twinplan::ui {
namespace {

// The kind of a series shows in its name and colour; a narrow table keeps the names readable.
enum Column { kName, kModality, kImages, kDate, kColumnCount };
constexpr int kSeriesUidRole = Qt::UserRole + 1;

QString dicomDate(const std::string& date) {
  if (date.size() != 8) return QString::fromStdString(date);
  return QString("%1-%2-%3")
      .arg(QString::fromStdString(date.substr(0, 4)), QString::fromStdString(date.substr(4, 2)),
           QString::fromStdString(date.substr(6, 2)));
}

// "DOE^JOHN" -> "DOE, JOHN" (PS3.5 6.2 person name components).
QString personName(const std::string& name) {
  QString text = QString::fromStdString(name);
  text.replace('^', ", ");
  return text.isEmpty() ? QObject::tr("(no name)") : text;
}

}  // namespace

DicomBrowser::DicomBrowser(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* importButton = importButton_ = new QPushButton(tr("Import DICOM…"), this);
  importButton->setToolTip(
      tr("Import a folder, a DICOMDIR or files (Ctrl+I); you can also drop them on the window"));
  connect(importButton, &QPushButton::clicked, this, &DicomBrowser::importRequested);
  layout->addWidget(importButton);
  tree_ = new QTreeWidget(this);
  tree_->setColumnCount(kColumnCount);
  tree_->setHeaderLabels({tr("Patient / study / series"), tr("Mod."), tr("Images"), tr("Date")});
  tree_->header()->setStretchLastSection(false);
  tree_->header()->setSectionResizeMode(kName, QHeaderView::Stretch);
  for (int c = 1; c < kColumnCount; ++c)
    tree_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  tree_->setIndentation(12);
  tree_->setIconSize(QSize(48, 48));
  tree_->setAlternatingRowColors(true);
  tree_->setRootIsDecorated(true);
  connect(tree_, &QTreeWidget::itemActivated, this,
          [this](QTreeWidgetItem* item, int) { activate(item); });
  layout->addWidget(tree_, 1);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
  connect(summary_, &QLabel::linkActivated, this, &DicomBrowser::skippedFilesRequested);
  layout->addWidget(summary_);
}

void DicomBrowser::setIndex(io::DicomIndex index) {
  index_ = std::move(index);
  tree_->clear();
  for (const auto& patient : index_.patients) {
    auto* patientItem = new QTreeWidgetItem(
        tree_, {personName(patient.name) + "  (" + QString::fromStdString(patient.id) + ")"});
    for (const auto& study : patient.studies) {
      auto* studyItem = new QTreeWidgetItem(patientItem);
      studyItem->setText(kName, study.description.empty()
                                    ? tr("(study)")
                                    : QString::fromStdString(study.description));
      studyItem->setText(kDate, dicomDate(study.date));
      for (const auto& series : study.series) {
        auto* item = new QTreeWidgetItem(studyItem);
        QString name = QString("#%1  %2")
                           .arg(series.seriesNumber)
                           .arg(QString::fromStdString(series.description));
        if (series.kind != io::SeriesKind::Volume)
          name += QString("  [%1]").arg(io::toString(series.kind));
        item->setText(kName, name);
        item->setText(kModality, QString::fromStdString(series.modality));
        // Images for image series; objects (RTSTRUCT, plans) count as files.
        const std::size_t count =
            series.frameCount() > 0 ? series.frameCount() : series.instances.size();
        item->setText(kImages, QString::number(count));
        item->setText(kDate, dicomDate(series.date));
        item->setData(kName, kSeriesUidRole, QString::fromStdString(series.seriesInstanceUid));
        QString tip = QString::fromStdString(series.seriesInstanceUid);
        if (!series.kindReason.empty()) tip += "\n" + QString::fromStdString(series.kindReason);
        const bool viewable = io::hasViewableImages(series);
        if (series.kind == io::SeriesKind::Volume)
          tip += "\n" + tr("Double-click to load");
        else if (viewable)
          tip += "\n" + tr("Double-click to view as a 2D image");
        item->setToolTip(kName, tip);
        if (!viewable)
          item->setForeground(kName, palette().color(QPalette::Disabled, QPalette::Text));
      }
    }
  }
  tree_->expandAll();
  QString text = tr("%1 files, %2 series").arg(index_.filesScanned).arg(index_.allSeries().size());
  if (!index_.skipped.empty()) {
    text += tr(", <a href=\"skipped\">%1 skipped (why?)</a>").arg(index_.skipped.size());
    QString reasons;
    for (std::size_t i = 0; i < index_.skipped.size() && i < 30; ++i)
      reasons += QString::fromStdString(index_.skipped[i].file.filename().string() + ": " +
                                        index_.skipped[i].reason) +
                 "\n";
    summary_->setToolTip(reasons.trimmed());
  } else {
    summary_->setToolTip({});
  }
  summary_->setText(text);
}

void DicomBrowser::setImportActions(const QList<QAction*>& actions) {
  auto* menu = new QMenu(importButton_);
  menu->addActions(actions);
  importButton_->setMenu(menu);
}

void DicomBrowser::setThumbnails(const std::map<std::string, QImage>& thumbnails) {
  for (QTreeWidgetItemIterator it(tree_); *it; ++it) {
    const auto found = thumbnails.find((*it)->data(kName, kSeriesUidRole).toString().toStdString());
    if (found != thumbnails.end()) (*it)->setIcon(kName, QIcon(QPixmap::fromImage(found->second)));
  }
}

bool DicomBrowser::selectSeries(const std::string& seriesInstanceUid) {
  const QString uid = QString::fromStdString(seriesInstanceUid);
  for (QTreeWidgetItemIterator it(tree_); *it; ++it) {
    if ((*it)->data(kName, kSeriesUidRole).toString() == uid) {
      tree_->setCurrentItem(*it);
      return true;
    }
  }
  return false;
}

void DicomBrowser::activate(QTreeWidgetItem* item) {
  const QString uid = item->data(kName, kSeriesUidRole).toString();
  if (uid.isEmpty()) return;
  if (const io::DicomSeries* series = index_.findSeries(uid.toStdString()))
    emit seriesActivated(*series);
}

}  // namespace twinplan::ui
