#include "twinplan/ui/dicom_browser.h"

#include <QFont>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QMenu>
#include <QPixmap>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "twinplan/io/dicom_image2d.h"

namespace twinplan::ui {
namespace {

// The kind of a series shows in its name and colour; a narrow table keeps the names readable.
enum Column { kName, kModality, kImages, kDate, kInCase, kColumnCount };
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

// Merges `from` into `into`: patients by ID and name, studies and series by UID. A series
// scanned again replaces the earlier listing (its files may have moved or grown).
void mergeIndex(io::DicomIndex& into, io::DicomIndex&& from) {
  for (auto& patient : from.patients) {
    auto samePatient = std::find_if(into.patients.begin(), into.patients.end(), [&](const auto& p) {
      return p.id == patient.id && p.name == patient.name;
    });
    if (samePatient == into.patients.end()) {
      into.patients.push_back(std::move(patient));
      continue;
    }
    for (auto& study : patient.studies) {
      auto sameStudy =
          std::find_if(samePatient->studies.begin(), samePatient->studies.end(),
                       [&](const auto& s) { return s.studyInstanceUid == study.studyInstanceUid; });
      if (sameStudy == samePatient->studies.end()) {
        samePatient->studies.push_back(std::move(study));
        continue;
      }
      for (auto& series : study.series) {
        auto sameSeries = std::find_if(
            sameStudy->series.begin(), sameStudy->series.end(),
            [&](const auto& s) { return s.seriesInstanceUid == series.seriesInstanceUid; });
        if (sameSeries == sameStudy->series.end())
          sameStudy->series.push_back(std::move(series));
        else
          *sameSeries = std::move(series);
      }
    }
  }
  for (auto& skipped : from.skipped) into.skipped.push_back(std::move(skipped));
  into.filesScanned += from.filesScanned;
}

}  // namespace

DicomBrowser::DicomBrowser(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* importButton = new QPushButton(tr("Import DICOM…"), this);
  importButton->setToolTip(
      tr("Import a folder, a DICOMDIR or files (Ctrl+I); you can also drop them on the window"));
  connect(importButton, &QPushButton::clicked, this, &DicomBrowser::importRequested);
  layout->addWidget(importButton);
  tree_ = new QTreeWidget(this);
  tree_->setColumnCount(kColumnCount);
  tree_->setHeaderLabels(
      {tr("Patient / study / series"), tr("Mod."), tr("Images"), tr("Date"), tr("Case")});
  tree_->headerItem()->setToolTip(kInCase, tr("✓: the series is in the open case"));
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
  tree_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(tree_, &QTreeWidget::customContextMenuRequested, this, &DicomBrowser::showContextMenu);
  connect(tree_, &QTreeWidget::currentItemChanged, this, &DicomBrowser::updateButtons);
  layout->addWidget(tree_, 1);
  auto* caseRow = new QHBoxLayout;
  addButton_ = new QPushButton(tr("Add to case"), this);
  addButton_->setObjectName("addToCase");
  addButton_->setToolTip(
      tr("Add the selected series to the open case (e.g. MR or PET beside the CT, a follow-up)"));
  connect(addButton_, &QPushButton::clicked, this, [this] {
    if (const io::DicomSeries* series = seriesOf(tree_->currentItem()))
      emit addToCaseRequested(*series);
  });
  removeButton_ = new QPushButton(tr("Remove from case"), this);
  removeButton_->setObjectName("removeFromCase");
  removeButton_->setToolTip(tr("Take the selected series out of the open case (undoable)"));
  connect(removeButton_, &QPushButton::clicked, this, [this] {
    const std::string uid = selectedSeries();
    if (!uid.empty()) emit removeFromCaseRequested(uid);
  });
  caseRow->addWidget(addButton_);
  caseRow->addWidget(removeButton_);
  layout->addLayout(caseRow);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
  connect(summary_, &QLabel::linkActivated, this, &DicomBrowser::skippedFilesRequested);
  layout->addWidget(summary_);
}

void DicomBrowser::setIndex(io::DicomIndex index) {
  index_ = std::move(index);
  thumbnails_.clear();
  rebuildTree();
}

void DicomBrowser::addIndex(io::DicomIndex index) {
  mergeIndex(index_, std::move(index));
  rebuildTree();
}

void DicomBrowser::rebuildTree() {
  const std::string selected = selectedSeries();
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
  setThumbnails({});
  showCaseMarks();
  if (!selected.empty()) selectSeries(selected);
  updateButtons();
}

void DicomBrowser::setThumbnails(const std::map<std::string, QImage>& thumbnails) {
  for (const auto& [uid, image] : thumbnails) thumbnails_[uid] = image;
  for (QTreeWidgetItemIterator it(tree_); *it; ++it) {
    const auto found =
        thumbnails_.find((*it)->data(kName, kSeriesUidRole).toString().toStdString());
    if (found != thumbnails_.end()) (*it)->setIcon(kName, QIcon(QPixmap::fromImage(found->second)));
  }
}

std::string DicomBrowser::selectedSeries() const {
  const QTreeWidgetItem* item = tree_->currentItem();
  return item ? item->data(kName, kSeriesUidRole).toString().toStdString() : std::string();
}

const io::DicomSeries* DicomBrowser::seriesOf(const QTreeWidgetItem* item) const {
  if (!item) return nullptr;
  const QString uid = item->data(kName, kSeriesUidRole).toString();
  return uid.isEmpty() ? nullptr : index_.findSeries(uid.toStdString());
}

void DicomBrowser::setCaseSeries(std::set<std::string> seriesInstanceUids, bool caseOpen) {
  caseSeries_ = std::move(seriesInstanceUids);
  caseOpen_ = caseOpen;
  showCaseMarks();
  // Opening a case selects its series (the first listed one), so the user sees where it is.
  for (QTreeWidgetItemIterator it(tree_); *it; ++it) {
    if (caseSeries_.count((*it)->data(kName, kSeriesUidRole).toString().toStdString())) {
      tree_->setCurrentItem(*it);
      tree_->scrollToItem(*it);
      break;
    }
  }
  updateButtons();
}

void DicomBrowser::showCaseMarks() {
  for (QTreeWidgetItemIterator it(tree_); *it; ++it) {
    const QString uid = (*it)->data(kName, kSeriesUidRole).toString();
    if (uid.isEmpty()) continue;
    const bool inCase = caseSeries_.count(uid.toStdString()) > 0;
    (*it)->setText(kInCase, inCase ? QStringLiteral("✓") : QString());
    QFont font = (*it)->font(kName);
    font.setBold(inCase);
    (*it)->setFont(kName, font);
  }
}

void DicomBrowser::updateButtons() {
  const io::DicomSeries* series = seriesOf(tree_->currentItem());
  const bool inCase = series && caseSeries_.count(series->seriesInstanceUid) > 0;
  addButton_->setEnabled(caseOpen_ && series && !inCase && io::hasViewableImages(*series));
  removeButton_->setEnabled(inCase);
}

void DicomBrowser::showContextMenu(const QPoint& position) {
  QTreeWidgetItem* item = tree_->itemAt(position);
  const io::DicomSeries* series = seriesOf(item);
  if (!series) return;
  tree_->setCurrentItem(item);
  const std::string uid = series->seriesInstanceUid;
  const bool viewable = io::hasViewableImages(*series);
  QMenu menu(this);
  QAction* open = menu.addAction(tr("Open as a new case"), this, [this, uid] {
    if (const io::DicomSeries* s = index_.findSeries(uid)) emit seriesActivated(*s);
  });
  open->setEnabled(viewable);
  QAction* add = menu.addAction(tr("Add to case"), this, [this, uid] {
    if (const io::DicomSeries* s = index_.findSeries(uid)) emit addToCaseRequested(*s);
  });
  add->setEnabled(addButton_->isEnabled());
  QAction* remove = menu.addAction(tr("Remove from case"), this,
                                   [this, uid] { emit removeFromCaseRequested(uid); });
  remove->setEnabled(removeButton_->isEnabled());
  menu.exec(tree_->viewport()->mapToGlobal(position));
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
