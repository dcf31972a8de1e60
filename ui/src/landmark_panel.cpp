#include "twinplan/ui/landmark_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "twinplan/core/error.h"
#include "twinplan/registration/landmarks.h"
#include "twinplan/rendering/patient_position.h"

namespace twinplan::ui {

namespace {

QTableWidgetItem* readOnlyCell(const QString& text) {
  auto* item = new QTableWidgetItem(text);
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  return item;
}

// Compact for the table - "R51.1 P1.1 I46.0" (mm, as formatPatientPosition reads them, without
// the unit, which is in the header) - and in full in the tooltip.
QString pointText(const std::optional<Vec3>& p) {
  if (!p) return QObject::tr("—");
  QStringList parts;
  for (int axis = 0; axis < 3; ++axis) {
    QString text = QString::fromStdString(rendering::formatPatientPosition(axis, (*p)[axis]));
    text.remove(" mm");
    text.remove(' ');
    parts << text;
  }
  return parts.join(' ');
}

QTableWidgetItem* pointCell(const std::optional<Vec3>& p) {
  auto* item = readOnlyCell(pointText(p));
  item->setToolTip(p ? QString::fromStdString(rendering::formatPatientPoint(*p))
                     : QObject::tr("Not placed yet"));
  return item;
}

QString millimetres(const std::optional<double>& value) {
  return value ? QString::number(*value, 'f', 2) : QObject::tr("—");
}

}  // namespace

LandmarkQuality landmarkQuality(const LandmarkSession& session) {
  LandmarkQuality quality;
  std::vector<registration::LandmarkPair> complete;
  std::vector<std::size_t> rowOf;
  for (std::size_t n = 0; n < session.pairs.size(); ++n) {
    const auto& pair = session.pairs[n];
    if (!pair.fixed_lps || !pair.moving_lps) continue;
    complete.push_back({pair.name, *pair.fixed_lps, *pair.moving_lps});
    rowOf.push_back(n);
  }
  quality.residual_mm.assign(session.pairs.size(), std::nullopt);
  quality.leaveOneOut_mm.assign(session.pairs.size(), std::nullopt);
  quality.pairsUsed = static_cast<int>(complete.size());
  try {
    const registration::LandmarkFit fit = registration::rigidLandmarkFit(complete);
    quality.valid = true;
    quality.transform = fit.transform;
    quality.residualMean_mm = fit.fiducial.mean_mm;
    quality.residualMax_mm = fit.fiducial.max_mm;
    quality.leaveOneOutMean_mm = fit.leaveOneOutMean_mm;
    quality.leaveOneOutMax_mm = fit.leaveOneOutMax_mm;
    for (std::size_t c = 0; c < complete.size(); ++c) {
      quality.residual_mm[rowOf[c]] = fit.fiducial.perPoint_mm[c];
      quality.leaveOneOut_mm[rowOf[c]] = fit.leaveOneOut_mm[c];
    }
  } catch (const Error& e) {
    quality.problem = e.what();
  }
  return quality;
}

LandmarkPanel::LandmarkPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* form = new QFormLayout;
  fixed_ = new QComboBox(this);
  fixed_->setObjectName("landmarkFixed");
  fixed_->setToolTip(tr("The reference series: it stays where it is"));
  moving_ = new QComboBox(this);
  moving_->setObjectName("landmarkMoving");
  moving_->setToolTip(tr("The series brought onto the reference"));
  form->addRow(tr("Fixed"), fixed_);
  form->addRow(tr("Moving"), moving_);
  layout->addLayout(form);

  auto* placeRow = new QHBoxLayout;
  placeFixed_ = new QPushButton(tr("Place on fixed"), this);
  placeFixed_->setObjectName("placeOnFixed");
  placeMoving_ = new QPushButton(tr("Place on moving"), this);
  placeMoving_->setObjectName("placeOnMoving");
  for (QPushButton* button : {placeFixed_, placeMoving_}) {
    button->setCheckable(true);
    button->setToolTip(
        tr("Then click the landmark in any 2D view (the views show this series meanwhile); "
           "click the button again to stop"));
    placeRow->addWidget(button);
  }
  layout->addLayout(placeRow);
  hint_ = new QLabel(this);
  hint_->setObjectName("landmarkHint");
  hint_->setWordWrap(true);
  layout->addWidget(hint_);

  table_ = new QTableWidget(0, kColumnCount, this);
  table_->setObjectName("landmarkTable");
  table_->setHorizontalHeaderLabels(
      {tr("#"), tr("Name"), tr("Fixed (mm)"), tr("Moving (mm)"), tr("FRE mm"), tr("TRE mm")});
  table_->horizontalHeaderItem(kResidual)->setToolTip(
      tr("Fiducial registration error: the distance left at this pair by the fit "
         "of all pairs"));
  table_->horizontalHeaderItem(kLeaveOneOut)
      ->setToolTip(tr("Leave-one-out target registration error: how far a fit of the OTHER "
                      "pairs misses this pair - the error to expect at a point not used to "
                      "register"));
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  // The name is edited by the user: a fixed width, the rest sized to what they show.
  table_->horizontalHeader()->setSectionResizeMode(kName, QHeaderView::Interactive);
  table_->horizontalHeader()->resizeSection(kName, 90);
  table_->horizontalHeader()->setMinimumSectionSize(24);
  table_->setWordWrap(false);
  layout->addWidget(table_, 1);

  auto* pairRow = new QHBoxLayout;
  delete_ = new QPushButton(tr("Delete pair"), this);
  delete_->setObjectName("deleteLandmark");
  auto* load = new QPushButton(tr("Load…"), this);
  load->setObjectName("loadLandmarks");
  load->setToolTip(tr("Read pairs from a landmark file (JSON, as twinplan-cli register reads)"));
  save_ = new QPushButton(tr("Save…"), this);
  save_->setObjectName("saveLandmarks");
  save_->setToolTip(tr("Write the complete pairs as a landmark file (JSON)"));
  for (QPushButton* button : {delete_, load, save_}) pairRow->addWidget(button);
  layout->addLayout(pairRow);
  summary_ = new QLabel(this);
  summary_->setObjectName("landmarkQuality");
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(summary_);
  register_ = new QPushButton(tr("Register by landmarks"), this);
  register_->setObjectName("registerByLandmarks");
  register_->setToolTip(
      tr("Store the rigid transform through the pairs as the registration of "
         "the moving series onto the fixed one (Undo removes it)"));
  layout->addWidget(register_);

  connect(placeFixed_, &QPushButton::clicked, this,
          [this](bool on) { setPlacing(on ? std::optional<Side>(Side::Fixed) : std::nullopt); });
  connect(placeMoving_, &QPushButton::clicked, this,
          [this](bool on) { setPlacing(on ? std::optional<Side>(Side::Moving) : std::nullopt); });
  connect(delete_, &QPushButton::clicked, this, [this] {
    if (selectedPair() >= 0) removePair(static_cast<std::size_t>(selectedPair()));
  });
  table_->installEventFilter(this);
  connect(load, &QPushButton::clicked, this, &LandmarkPanel::loadRequested);
  connect(save_, &QPushButton::clicked, this, &LandmarkPanel::saveRequested);
  connect(register_, &QPushButton::clicked, this, &LandmarkPanel::registerRequested);
  connect(table_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
    if (refreshing_ || item->column() != kName) return;
    renamePair(static_cast<std::size_t>(item->row()), item->text().trimmed().toStdString());
  });
  connect(table_, &QTableWidget::itemSelectionChanged, this,
          [this] { delete_->setEnabled(selectedPair() >= 0); });
  for (QComboBox* box : {fixed_, moving_})
    connect(box, &QComboBox::currentIndexChanged, this, [this] {
      if (refreshing_) return;
      session_.fixed = fixed_->currentData().toString().toStdString();
      session_.moving = moving_->currentData().toString().toStdString();
      setPlacing(std::nullopt);
      emitChange();
    });
  refresh();
}

void LandmarkPanel::showVolumes(const Case& twin) {
  refreshing_ = true;
  fixed_->clear();
  moving_->clear();
  for (const ImageVolume& volume : twin.volumes) {
    const QString name = QString::fromStdString(volume.name);
    fixed_->addItem(name, name);
    moving_->addItem(name, name);
  }
  auto keep = [&](std::string& chosen, std::size_t fallback) {
    if (findVolume(twin, chosen)) return;
    chosen = twin.volumes.size() > fallback ? twin.volumes[fallback].name : std::string();
  };
  keep(session_.fixed, 0);
  keep(session_.moving, 1);
  refreshing_ = false;
  refresh();
}

void LandmarkPanel::setSession(LandmarkSession session) {
  session_ = std::move(session);
  placing_.reset();
  refresh();
  emit placingChanged();
}

void LandmarkPanel::setPlacing(std::optional<Side> side) {
  if (side && volumeOf(*side).empty()) side.reset();
  if (side == placing_) {
    refresh();
    return;
  }
  placing_ = side;
  refresh();
  emit placingChanged();
}

void LandmarkPanel::placePoint(const Vec3& p_lps) {
  if (!placing_) return;
  auto has = [this](const LandmarkSession::Pair& pair) {
    return (*placing_ == Side::Fixed ? pair.fixed_lps : pair.moving_lps).has_value();
  };
  const auto free = std::find_if(session_.pairs.begin(), session_.pairs.end(),
                                 [&](const auto& pair) { return !has(pair); });
  const int target = static_cast<int>(free - session_.pairs.begin());
  if (target == static_cast<int>(session_.pairs.size())) {
    LandmarkSession::Pair pair;
    pair.name = tr("Landmark %1").arg(target + 1).toStdString();
    session_.pairs.push_back(pair);
  }
  auto& pair = session_.pairs[static_cast<std::size_t>(target)];
  (*placing_ == Side::Fixed ? pair.fixed_lps : pair.moving_lps) = p_lps;
  emitChange();
  selectPair(target);
}

void LandmarkPanel::movePoint(Side side, std::size_t pair, const Vec3& p_lps) {
  if (pair >= session_.pairs.size()) return;
  (side == Side::Fixed ? session_.pairs[pair].fixed_lps : session_.pairs[pair].moving_lps) = p_lps;
  emitChange();
  selectPair(static_cast<int>(pair));
}

void LandmarkPanel::removePair(std::size_t pair) {
  if (pair >= session_.pairs.size()) return;
  session_.pairs.erase(session_.pairs.begin() + static_cast<std::ptrdiff_t>(pair));
  emitChange();
}

bool LandmarkPanel::eventFilter(QObject* watched, QEvent* event) {
  // Delete in the table: the point of a Fixed or Moving cell, else the pair (not while a name
  // is being edited: the editor gets its own keys).
  if (watched != table_ || event->type() != QEvent::KeyPress ||
      static_cast<QKeyEvent*>(event)->key() != Qt::Key_Delete)
    return QWidget::eventFilter(watched, event);
  const int pair = selectedPair();
  if (pair < 0) return false;
  const int column = table_->currentColumn();
  if (column == kFixed || column == kMoving)
    clearPoint(column == kFixed ? Side::Fixed : Side::Moving, static_cast<std::size_t>(pair));
  else
    removePair(static_cast<std::size_t>(pair));
  return true;
}

void LandmarkPanel::clearPoint(Side side, std::size_t pair) {
  if (pair >= session_.pairs.size()) return;
  (side == Side::Fixed ? session_.pairs[pair].fixed_lps : session_.pairs[pair].moving_lps).reset();
  emitChange();
}

void LandmarkPanel::renamePair(std::size_t pair, const std::string& name) {
  if (pair >= session_.pairs.size() || session_.pairs[pair].name == name) return;
  session_.pairs[pair].name = name;
  emitChange();
}

int LandmarkPanel::selectedPair() const {
  const auto rows = table_->selectionModel()->selectedRows();
  return rows.isEmpty() ? -1 : rows.front().row();
}

void LandmarkPanel::selectPair(int pair) {
  if (pair >= 0 && pair < table_->rowCount()) table_->selectRow(pair);
}

LandmarkPanel::Markers LandmarkPanel::markersOn(const std::string& volume) const {
  Markers shown;
  if (volume.empty()) return shown;
  // A series that is both fixed and moving cannot be registered: nothing is shown.
  if (volume == session_.fixed && volume != session_.moving) shown.side = Side::Fixed;
  if (volume == session_.moving && volume != session_.fixed) shown.side = Side::Moving;
  if (!shown.side) return shown;
  for (std::size_t n = 0; n < session_.pairs.size(); ++n) {
    const auto& p =
        *shown.side == Side::Fixed ? session_.pairs[n].fixed_lps : session_.pairs[n].moving_lps;
    if (!p) continue;
    shown.markers.push_back({*p, std::to_string(n + 1)});
    shown.pairOfMarker.push_back(n);
  }
  return shown;
}

void LandmarkPanel::emitChange() {
  const int selected = selectedPair();
  refresh();
  selectPair(std::min(selected, table_->rowCount() - 1));
  emit sessionChanged();
}

void LandmarkPanel::refresh() {
  refreshing_ = true;
  fixed_->setCurrentIndex(fixed_->findData(QString::fromStdString(session_.fixed)));
  moving_->setCurrentIndex(moving_->findData(QString::fromStdString(session_.moving)));
  quality_ = landmarkQuality(session_);
  table_->setRowCount(static_cast<int>(session_.pairs.size()));
  for (std::size_t n = 0; n < session_.pairs.size(); ++n) {
    const auto& pair = session_.pairs[n];
    const int row = static_cast<int>(n);
    table_->setItem(row, kNumber, readOnlyCell(QString::number(row + 1)));
    table_->setItem(row, kName, new QTableWidgetItem(QString::fromStdString(pair.name)));
    table_->setItem(row, kFixed, pointCell(pair.fixed_lps));
    table_->setItem(row, kMoving, pointCell(pair.moving_lps));
    table_->setItem(row, kResidual, readOnlyCell(millimetres(quality_.residual_mm[n])));
    table_->setItem(row, kLeaveOneOut, readOnlyCell(millimetres(quality_.leaveOneOut_mm[n])));
    for (int c : {kResidual, kLeaveOneOut})
      table_->item(row, c)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  }
  const bool samePair = session_.fixed.empty() || session_.fixed == session_.moving;
  placeFixed_->setChecked(placing_ == Side::Fixed);
  placeMoving_->setChecked(placing_ == Side::Moving);
  placeFixed_->setEnabled(!samePair);
  placeMoving_->setEnabled(!samePair);
  delete_->setEnabled(selectedPair() >= 0);
  save_->setEnabled(quality_.pairsUsed > 0);
  register_->setEnabled(!samePair && quality_.valid);
  if (samePair) {
    hint_->setText(tr("Choose two different series."));
  } else if (placing_) {
    hint_->setText(tr("Click the landmark on %1 in any 2D view (the views show %1).")
                       .arg(QString::fromStdString(volumeOf(*placing_))));
  } else {
    hint_->setText(
        tr("Place each landmark on both series: at least 3 pairs, spread over the "
           "anatomy and not on one line."));
  }
  if (quality_.valid) {
    QString text = tr("Rigid fit of %1 pairs: residual mean %2 mm, max %3 mm")
                       .arg(quality_.pairsUsed)
                       .arg(quality_.residualMean_mm, 0, 'f', 2)
                       .arg(quality_.residualMax_mm, 0, 'f', 2);
    if (quality_.leaveOneOutMean_mm)
      text += tr("\nTRE (leave-one-out): mean %1 mm, max %2 mm")
                  .arg(*quality_.leaveOneOutMean_mm, 0, 'f', 2)
                  .arg(*quality_.leaveOneOutMax_mm, 0, 'f', 2);
    else
      text += tr("\nTRE (leave-one-out) needs a 4th pair.");
    summary_->setText(text);
  } else {
    summary_->setText(quality_.pairsUsed == 0
                          ? QString()
                          : tr("%n complete pair(s): a rigid fit needs 3 not on one line.", nullptr,
                               quality_.pairsUsed));
  }
  refreshing_ = false;
}

}  // namespace twinplan::ui
