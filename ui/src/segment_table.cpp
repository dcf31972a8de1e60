#include "twinplan/ui/segment_table.h"

#include <QColorDialog>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <array>

#include "twinplan/core/parallel.h"
#include "twinplan/core/segment_edits.h"
#include "twinplan/segmentation/terminology.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/terminology_dialog.h"

namespace twinplan::ui {
namespace {

constexpr int kRefRole = Qt::UserRole + 1;

QIcon swatch(const Rgb& colour) {
  QPixmap pixmap(16, 16);
  pixmap.fill(Qt::transparent);
  QPainter painter(&pixmap);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setPen(QColor(15, 15, 15));
  painter.setBrush(QColor(colour.r, colour.g, colour.b));
  painter.drawRoundedRect(QRectF(1.5, 1.5, 13, 13), 3, 3);
  return QIcon(pixmap);
}

// A padlock drawn in the theme's text colour: shackle closed when locked, lifted and open
// (and dimmed) when not, so a locked row reads at a glance.
QIcon padlock(bool locked) {
  QPixmap pixmap(16, 16);
  pixmap.fill(Qt::transparent);
  QPainter painter(&pixmap);
  painter.setRenderHint(QPainter::Antialiasing);
  const QColor ink = locked ? QColor(230, 200, 110) : QColor(130, 134, 140);
  QPen pen(ink, 1.6);
  painter.setPen(pen);
  painter.setBrush(Qt::NoBrush);
  QPainterPath shackle;
  const double lift = locked ? 0.0 : 2.5;
  shackle.moveTo(4.5, 8 - lift);
  shackle.lineTo(4.5, 5 - lift);
  shackle.arcTo(QRectF(4.5, 1.5 - lift, 7, 7), 180, -180);
  if (locked) shackle.lineTo(11.5, 8);
  painter.drawPath(shackle);
  painter.setPen(Qt::NoPen);
  painter.setBrush(ink);
  painter.drawRoundedRect(QRectF(2.5, 7.5, 11, 7.5), 1.5, 1.5);
  return QIcon(pixmap);
}

// The type alone fits a dock; the category and codes are in the cell's tooltip.
QString terminologyText(const SegmentTerminology& t) {
  return QString::fromStdString(t.type.meaning);
}

// Each segment's voxel count from one pass per layer: the voxels of each of the layer's label
// values counted together (deterministic chunked reduction, core/parallel.h). Per-block counts hold
// only the layer's segments, so memory stays small on a 512x512x600 layer.
std::vector<std::int64_t> segmentVoxelCounts(const LabelMap& labels) {
  const auto& segments = labels.segments();
  std::vector<std::int64_t> volumes(segments.size(), 0);
  for (int l = 0; l < labels.layerCount(); ++l) {
    // slotOf[value]: 1 + the index of the layer's segment with that value, 0 for none.
    std::vector<std::uint32_t> slotOf(65536, 0);
    std::vector<std::size_t> segmentOfSlot;
    for (std::size_t s = 0; s < segments.size(); ++s) {
      if (segments[s].layer != l) continue;
      segmentOfSlot.push_back(s);
      slotOf[segments[s].value] = static_cast<std::uint32_t>(segmentOfSlot.size());
    }
    if (segmentOfSlot.empty()) continue;
    const std::vector<std::uint16_t>& layer = labels.layer(l);
    const std::size_t slotCount = segmentOfSlot.size() + 1;
    const std::vector<std::size_t> counts = parallel::parallelReduce(
        {0, layer.size()}, std::size_t{1} << 20, std::vector<std::size_t>(slotCount, 0),
        [&](parallel::IndexRange block) {
          std::vector<std::size_t> count(slotCount, 0);
          for (std::size_t n = block.begin; n < block.end; ++n) ++count[slotOf[layer[n]]];
          return count;
        },
        [](std::vector<std::size_t> a, const std::vector<std::size_t>& b) {
          for (std::size_t v = 0; v < a.size(); ++v) a[v] += b[v];
          return a;
        });
    for (std::size_t slot = 1; slot < slotCount; ++slot)
      volumes[segmentOfSlot[slot - 1]] = static_cast<std::int64_t>(counts[slot]);
  }
  return volumes;
}

}  // namespace

SegmentTable::SegmentTable(CaseDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  table_ = new QTableWidget(0, kColumnCount, this);
  table_->setObjectName("segmentTable");
  table_->setHorizontalHeaderLabels(
      {QString(), QString(), tr("Name"), tr("Tissue"), tr("Type"), QString(), tr("ml")});
  table_->horizontalHeaderItem(kVisible)->setToolTip(tr("Shown in the views"));
  table_->horizontalHeaderItem(kColour)->setToolTip(tr("Colour (click to change)"));
  table_->horizontalHeaderItem(kTerminology)
      ->setToolTip(tr("DICOM terminology: what the segment is (click a cell to choose)"));
  table_->horizontalHeaderItem(kLock)->setToolTip(tr("Locked: no tool changes its voxels"));
  table_->horizontalHeaderItem(kVolume)->setToolTip(tr("Volume in millilitres"));
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
  table_->verticalHeader()->hide();
  table_->setShowGrid(false);
  table_->setAlternatingRowColors(true);
  auto* header = table_->horizontalHeader();
  header->setMinimumSectionSize(24);
  for (int column : {kVisible, kColour, kLock}) {
    header->setSectionResizeMode(column, QHeaderView::Fixed);
    header->resizeSection(column, 28);
  }
  // In a narrow dock the name stays whole and the type gives way (its full text is in the
  // tooltip); tissue keeps a readable width and can be dragged wider.
  header->setSectionResizeMode(kName, QHeaderView::ResizeToContents);
  header->setSectionResizeMode(kTissue, QHeaderView::Interactive);
  header->resizeSection(kTissue, 84);
  header->setSectionResizeMode(kTerminology, QHeaderView::Stretch);
  header->setSectionResizeMode(kVolume, QHeaderView::ResizeToContents);
  table_->verticalHeader()->setDefaultSectionSize(26);

  add_ = new QPushButton(tr("Add"), this);
  add_->setObjectName("addSegment");
  add_->setToolTip(tr("A new empty segment (on the first series' grid when the case has none)"));
  duplicate_ = new QPushButton(tr("Duplicate"), this);
  duplicate_->setObjectName("duplicateSegment");
  duplicate_->setToolTip(tr("A copy of the selected segment with the same voxels"));
  remove_ = new QPushButton(tr("Delete"), this);
  remove_->setObjectName("removeSegment");
  remove_->setToolTip(tr("Delete the selected segment and its voxels (undoable)"));
  message_ = new QLabel(this);
  message_->setObjectName("segmentTableMessage");
  message_->setWordWrap(true);
  message_->hide();

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(add_);
  buttons->addWidget(duplicate_);
  buttons->addWidget(remove_);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(table_, 1);
  layout->addLayout(buttons);
  layout->addWidget(message_);

  chooseColour_ = [this](const Rgb& current) -> std::optional<Rgb> {
    const QColor chosen =
        QColorDialog::getColor(QColor(current.r, current.g, current.b), this, tr("Segment colour"));
    if (!chosen.isValid()) return std::nullopt;
    return Rgb{static_cast<std::uint8_t>(chosen.red()), static_cast<std::uint8_t>(chosen.green()),
               static_cast<std::uint8_t>(chosen.blue())};
  };
  chooseTerminology_ = [](const Segment& current,
                          QWidget* parent) -> std::optional<SegmentTerminology> {
    TerminologyDialog dialog(current.terminology, parent);
    if (dialog.exec() != QDialog::Accepted || !dialog.selected()) return std::nullopt;
    return dialog.selected()->terminology;
  };

  connect(add_, &QPushButton::clicked, this, &SegmentTable::addSegment);
  connect(duplicate_, &QPushButton::clicked, this, &SegmentTable::duplicateSegment);
  connect(remove_, &QPushButton::clicked, this, &SegmentTable::removeSegment);
  connect(table_, &QTableWidget::cellClicked, this, &SegmentTable::cellClicked);
  connect(table_, &QTableWidget::itemChanged, this, &SegmentTable::itemChanged);
  connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
    if (filling_) return;
    const int row = table_->currentRow();
    std::optional<SegmentRef> now;
    if (row >= 0 && row < static_cast<int>(rows_.size()))
      now = rows_[static_cast<std::size_t>(row)];
    if (now == current_) return;
    current_ = now;
    showCurrent();
  });
  connect(document_, &CaseDocument::labelVoxelsChanged, this, &SegmentTable::followCountChanges);
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Whole) {
      // Another case: no segment of it is chosen yet.
      const bool had = current_.has_value();
      current_.reset();
      refresh();
      if (had) showCurrent();
    } else if (part == CasePart::LabelMaps) {
      // An edit made from a cell or a combo of this table: rebuild after its signal has
      // returned, never while Qt is still inside the item or widget that sent it.
      if (editing_) {
        queueRefresh();
      } else {
        refresh();
      }
    } else if (part == CasePart::SegmentDisplay) {
      refreshDisplay();
    }
  });
  refresh();
}

std::optional<SegmentRef> SegmentTable::currentSegment() const { return current_; }

int SegmentTable::rowOf(const SegmentRef& segment) const {
  const auto found = std::find(rows_.begin(), rows_.end(), segment);
  return found == rows_.end() ? -1 : static_cast<int>(found - rows_.begin());
}

void SegmentTable::setCurrentSegment(const SegmentRef& segment) {
  const int row = rowOf(segment);
  if (row >= 0) table_->selectRow(row);
}

void SegmentTable::showCurrent() {
  duplicate_->setEnabled(current_.has_value());
  remove_->setEnabled(current_.has_value());
  emit currentSegmentChanged(current_ ? static_cast<int>(current_->labelMap) : -1,
                             current_ ? static_cast<int>(current_->segment) : -1);
}

void SegmentTable::refresh() {
  const Case& twin = document_->twin();
  const std::optional<SegmentRef> wasCurrent = current_;
  const int wasRow = current_ ? rowOf(*current_) : -1;
  filling_ = true;
  {
    const QSignalBlocker blocker(table_);
    rows_.clear();
    if (!countsFollowedEdit_) countVoxels();
    countsFollowedEdit_ = false;
    for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
      for (std::size_t s = 0; s < twin.labelMaps[m].segments().size(); ++s) rows_.push_back({m, s});
    }
    table_->setRowCount(static_cast<int>(rows_.size()));
    for (int row = 0; row < static_cast<int>(rows_.size()); ++row) {
      const SegmentRef& ref = rows_[static_cast<std::size_t>(row)];
      fillRow(row, ref, twin.labelMaps[ref.labelMap].segments()[ref.segment]);
    }
  }
  // The same segment stays current when it still exists (an edit, undo); else the row that
  // took its place (after a delete), or the last.
  std::optional<SegmentRef> keep;
  if (wasCurrent && rowOf(*wasCurrent) >= 0) {
    keep = wasCurrent;
  } else if (wasRow >= 0 && !rows_.empty()) {
    keep = rows_[std::min(rows_.size() - 1, static_cast<std::size_t>(wasRow))];
  }
  if (keep) {
    table_->selectRow(rowOf(*keep));
  } else {
    table_->clearSelection();
  }
  filling_ = false;
  const bool changed = keep != current_;
  current_ = keep;
  add_->setEnabled(!twin.labelMaps.empty() || !twin.volumes.empty());
  if (changed) {
    showCurrent();
  } else {
    duplicate_->setEnabled(current_.has_value());
    remove_->setEnabled(current_.has_value());
  }
}

void SegmentTable::countVoxels() {
  const Case& twin = document_->twin();
  voxelCounts_.clear();
  for (const LabelMap& labels : twin.labelMaps) voxelCounts_.push_back(segmentVoxelCounts(labels));
}

// A stroke (or its undo) changed voxels of one layer in place: the counts of that layer's
// segments move by the edit's count changes (12 bytes per changed voxel were stored), instead
// of a pass over the whole layer on the GUI thread (docs/benchmarks.md, "Segment editor").
void SegmentTable::followCountChanges(const CaseChange& change) {
  const Case& twin = document_->twin();
  const auto layer = static_cast<int>(change.index);
  if (change.labelMap >= twin.labelMaps.size() || voxelCounts_.size() != twin.labelMaps.size() ||
      voxelCounts_[change.labelMap].size() != twin.labelMaps[change.labelMap].segments().size()) {
    countsFollowedEdit_ = false;  // the table does not match: count again
    return;
  }
  const auto& segments = twin.labelMaps[change.labelMap].segments();
  for (const auto& [value, delta] : change.voxelCountDelta)
    for (std::size_t s = 0; s < segments.size(); ++s)
      if (segments[s].layer == layer && segments[s].value == value)
        voxelCounts_[change.labelMap][s] += delta;
  countsFollowedEdit_ = true;
}

void SegmentTable::fillRow(int row, const SegmentRef& ref, const Segment& segment) {
  const QString name = QString::fromStdString(segment.name);
  auto* visible = new QTableWidgetItem;
  visible->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
  visible->setCheckState(segment.visible ? Qt::Checked : Qt::Unchecked);
  visible->setToolTip(tr("Show %1").arg(name));
  table_->setItem(row, kVisible, visible);

  auto* colour = new QTableWidgetItem;
  colour->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  colour->setIcon(swatch(segment.colour));
  colour->setToolTip(tr("Colour of %1: click to change").arg(name));
  table_->setItem(row, kColour, colour);

  auto* nameItem = new QTableWidgetItem(name);
  nameItem->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable);
  nameItem->setData(kRefRole, QVariant::fromValue(static_cast<qulonglong>(ref.segment)));
  const std::string& mapName = document_->twin().labelMaps[ref.labelMap].name;
  nameItem->setToolTip(tr("%1 (label map %2%3, layer %4, label %5): double-click to rename")
                           .arg(name)
                           .arg(ref.labelMap + 1)
                           .arg(mapName.empty() ? QString() : " " + QString::fromStdString(mapName))
                           .arg(segment.layer)
                           .arg(segment.value));
  table_->setItem(row, kName, nameItem);

  auto* tissue = new QComboBox;
  tissue->addItem(tr("—"), QString());
  for (const std::string& key : segmentation::knownTissueTypes())
    tissue->addItem(QString::fromStdString(key), QString::fromStdString(key));
  const QString current = QString::fromStdString(segment.tissueType);
  if (!current.isEmpty() && tissue->findData(current) < 0) tissue->addItem(current, current);
  tissue->setCurrentIndex(std::max(0, tissue->findData(current)));
  tissue->setToolTip(tr("Tissue type: the key of the simulations' property tables"));
  tissue->setFrame(false);
  tissue->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  tissue->setMinimumContentsLength(5);
  connect(tissue, &QComboBox::activated, this,
          [this, tissue, ref](int) { setTissue(rowOf(ref), tissue->currentData().toString()); });
  // The combo it replaces is deleted later: out of sight now.
  if (QWidget* old = table_->cellWidget(row, kTissue)) old->hide();
  table_->setCellWidget(row, kTissue, tissue);

  auto* terminology = new QTableWidgetItem(terminologyText(segment.terminology));
  terminology->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  terminology->setToolTip(
      segment.terminology.type.empty()
          ? tr("Not coded: click to choose what this segment is (DICOM terminology)")
          : tr("%1 %2 \"%3\", category %4 %5 \"%6\": click to change")
                .arg(QString::fromStdString(segment.terminology.type.scheme),
                     QString::fromStdString(segment.terminology.type.value),
                     QString::fromStdString(segment.terminology.type.meaning),
                     QString::fromStdString(segment.terminology.category.scheme),
                     QString::fromStdString(segment.terminology.category.value),
                     QString::fromStdString(segment.terminology.category.meaning)));
  if (segment.terminology.type.empty()) terminology->setText(tr("choose…"));
  if (segment.terminology.type.empty())
    terminology->setForeground(table_->palette().color(QPalette::Disabled, QPalette::Text));
  table_->setItem(row, kTerminology, terminology);

  auto* lock = new QTableWidgetItem;
  lock->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  lock->setIcon(padlock(segment.locked));
  lock->setData(Qt::AccessibleTextRole, segment.locked ? tr("locked") : tr("unlocked"));
  lock->setToolTip(segment.locked ? tr("Locked: click to unlock")
                                  : tr("Click to lock %1").arg(name));
  table_->setItem(row, kLock, lock);

  const LabelMap& labels = document_->twin().labelMaps[ref.labelMap];
  const double volume = static_cast<double>(voxelCounts_[ref.labelMap][ref.segment]) *
                        labels.geometry().spacing_mm.prod() / 1000.0;
  auto* volumeItem = new QTableWidgetItem(QString::number(volume, 'f', volume < 10 ? 2 : 1));
  volumeItem->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  volumeItem->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  table_->setItem(row, kVolume, volumeItem);
}

void SegmentTable::refreshDisplay() {
  const Case& twin = document_->twin();
  const QSignalBlocker blocker(table_);
  for (int row = 0; row < static_cast<int>(rows_.size()); ++row) {
    const SegmentRef& ref = rows_[static_cast<std::size_t>(row)];
    const Segment& s = twin.labelMaps[ref.labelMap].segments()[ref.segment];
    table_->item(row, kVisible)->setCheckState(s.visible ? Qt::Checked : Qt::Unchecked);
    table_->item(row, kColour)->setIcon(swatch(s.colour));
  }
}

void SegmentTable::cellClicked(int row, int column) {
  if (row < 0 || row >= static_cast<int>(rows_.size())) return;
  const SegmentRef ref = rows_[static_cast<std::size_t>(row)];
  const Segment segment = document_->twin().labelMaps[ref.labelMap].segments()[ref.segment];
  switch (column) {
    case kColour:
      if (const auto colour = chooseColour_(segment.colour)) setColour(ref, *colour);
      return;
    case kLock:
      editSegment(ref, [](Segment& s) { s.locked = !s.locked; });
      return;
    case kTerminology:
      if (const auto chosen = chooseTerminology_(segment, this)) {
        const auto* entry = segmentation::findTerminology(chosen->type);
        editSegment(ref, [&](Segment& s) {
          s.terminology = *chosen;
          // What the segment is says what tissue it is, unless the user said otherwise.
          if (s.tissueType.empty() && entry) s.tissueType = entry->tissueType;
        });
      }
      return;
    default:
      return;
  }
}

void SegmentTable::itemChanged(QTableWidgetItem* item) {
  const int row = item->row();
  if (filling_ || row < 0 || row >= static_cast<int>(rows_.size())) return;
  const SegmentRef ref = rows_[static_cast<std::size_t>(row)];
  if (item->column() == kVisible) {
    setVisible(ref, item->checkState() == Qt::Checked);
  } else if (item->column() == kName) {
    const std::string name = item->text().trimmed().toStdString();
    editSegment(ref, [&](Segment& s) { s.name = name; });
  }
}

void SegmentTable::setTissue(int row, const QString& tissue) {
  if (row < 0) return;
  editSegment(rows_[static_cast<std::size_t>(row)],
              [&](Segment& s) { s.tissueType = tissue.toStdString(); });
}

void SegmentTable::queueRefresh() {
  if (refreshQueued_) return;
  refreshQueued_ = true;
  QTimer::singleShot(0, this, [this] {
    refreshQueued_ = false;
    refresh();
  });
}

void SegmentTable::tryEdit(const std::function<void()>& edit) {
  editing_ = true;
  try {
    edit();
    editing_ = false;
    message_->hide();
  } catch (const std::exception& e) {
    editing_ = false;
    message_->setText(QString::fromUtf8(e.what()));
    message_->show();
    queueRefresh();  // show the case as it is, not what was typed
  }
}

void SegmentTable::editSegment(const SegmentRef& ref, const std::function<void(Segment&)>& change) {
  tryEdit([&] {
    const Case& twin = document_->twin();
    Segment segment = twin.labelMaps.at(ref.labelMap).segments().at(ref.segment);
    const Segment before = segment;
    change(segment);
    if (segment == before) return queueRefresh();
    document_->apply(edits::setSegmentProperties(twin, ref.labelMap, ref.segment, segment));
  });
}

void SegmentTable::setVisible(const SegmentRef& ref, bool visible) {
  tryEdit([&] {
    DisplayProperties display =
        edits::displayOf(document_->twin(), DisplayedItem::Segment, ref.segment, ref.labelMap);
    display.visible = visible;
    document_->apply(edits::setDisplay(document_->twin(), DisplayedItem::Segment, ref.segment,
                                       display, false, ref.labelMap));
  });
}

void SegmentTable::setColour(const SegmentRef& ref, const Rgb& colour) {
  tryEdit([&] {
    DisplayProperties display =
        edits::displayOf(document_->twin(), DisplayedItem::Segment, ref.segment, ref.labelMap);
    display.colour = colour;
    document_->apply(edits::setDisplay(document_->twin(), DisplayedItem::Segment, ref.segment,
                                       display, false, ref.labelMap));
  });
}

void SegmentTable::addSegment() {
  tryEdit([&] {
    const Case& twin = document_->twin();
    // Distinct colours for new segments: 3D Slicer's generic segment colours cycle.
    static constexpr std::array<Rgb, 6> kColours = {Rgb{128, 174, 128}, Rgb{241, 214, 145},
                                                    Rgb{177, 122, 101}, Rgb{111, 184, 210},
                                                    Rgb{216, 101, 79},  Rgb{221, 130, 101}};
    Segment segment;
    if (twin.labelMaps.empty()) {
      if (twin.volumes.empty()) return;
      // The first segment of a case: a label map on the first series' grid, in one step.
      LabelMap labels(twin.volumes.front().geometry());
      labels.name = "Segmentation";
      segment.name = "Segment 1";
      segment.colour = kColours[0];
      labels.addSegment(segment);
      document_->apply(edits::replaceLabelMaps(twin, {labels}, "Add segment Segment 1"));
      current_ = SegmentRef{0, 0};
    } else {
      const std::size_t map = current_ ? current_->labelMap : 0;
      const std::size_t count = twin.labelMaps[map].segments().size();
      segment.name =
          edits::unusedSegmentName(twin.labelMaps[map], "Segment " + std::to_string(count + 1));
      segment.colour = kColours[count % kColours.size()];
      document_->apply(edits::addSegment(twin, map, segment));
      current_ = SegmentRef{map, count};
    }
    refresh();
    showCurrent();
  });
}

void SegmentTable::duplicateSegment() {
  if (!current_) return;
  tryEdit([&] {
    const SegmentRef from = *current_;
    document_->apply(edits::duplicateSegment(document_->twin(), from.labelMap, from.segment));
    current_ =
        SegmentRef{from.labelMap, document_->twin().labelMaps[from.labelMap].segments().size() - 1};
    refresh();
    showCurrent();
  });
}

void SegmentTable::removeSegment() {
  if (!current_) return;
  tryEdit([&] {
    document_->apply(
        edits::removeSegment(document_->twin(), current_->labelMap, current_->segment));
  });
}

}  // namespace twinplan::ui
