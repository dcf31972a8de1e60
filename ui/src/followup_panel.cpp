#include "twinplan/ui/followup_panel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"

namespace twinplan::ui {

namespace {

QColor qColour(const Rgb& c) { return QColor(c.r, c.g, c.b); }

QString number(const std::optional<double>& value, int decimals) {
  return value ? QString::number(*value, 'f', decimals) : QStringLiteral("-");
}

// A "nice" tick step (1, 2 or 5 x 10^n) giving about `ticks` intervals over `range`.
double niceStep(double range, int ticks) {
  const double raw = range / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double f : {1.0, 2.0, 5.0})
    if (raw <= f * magnitude) return f * magnitude;
  return 10.0 * magnitude;
}

QTableWidgetItem* cell(const QString& text) {
  auto* item = new QTableWidgetItem(text);
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  return item;
}

}  // namespace

// ---- chart -----------------------------------------------------------------------------------

GrowthChart::GrowthChart(QWidget* parent) : QWidget(parent) {
  setMinimumSize(280, 180);
  setAutoFillBackground(true);
}

void GrowthChart::showTable(const engine::GrowthTable& table) {
  table_ = table;
  update();
}

void GrowthChart::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const QColor text = palette().color(QPalette::WindowText);  // light on the dark theme
  painter.setPen(text);
  if (table_.segments.empty()) {
    painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                     tr("Segment volumes over time appear here when two or more study dates "
                        "have segmentations."));
    return;
  }
  const QFontMetrics metrics(font());
  const QRect plot =
      rect().adjusted(metrics.horizontalAdvance("00000.0") + 12, metrics.height() + 8,
                      -metrics.horizontalAdvance("2026-00-00") / 2 - 8, -2 * metrics.height() - 12);
  double maxVolume = 0.0;
  int maxDay = 1;
  for (const auto& s : table_.segments)
    for (const auto& p : s.points) {
      maxVolume = std::max(maxVolume, p.volume_ml);
      maxDay = std::max(maxDay, p.day);
    }
  if (maxVolume <= 0.0) maxVolume = 1.0;
  const double yStep = niceStep(maxVolume, 4);
  const double yTop = std::ceil(maxVolume / yStep) * yStep;
  auto toPoint = [&](double day, double ml) {
    return QPointF(plot.left() + plot.width() * day / maxDay,
                   plot.bottom() - plot.height() * ml / yTop);
  };
  // Axes, ticks and units.
  painter.drawLine(plot.bottomLeft(), plot.topLeft());
  painter.drawLine(plot.bottomLeft(), plot.bottomRight());
  const int decimals = yStep < 1.0 ? int(std::ceil(-std::log10(yStep))) : 0;
  for (double y = 0.0; y <= yTop + 1e-9 * yTop; y += yStep) {
    const QPointF at = toPoint(0, y);
    painter.drawLine(at, at - QPointF(4, 0));
    painter.drawText(QRectF(0, at.y() - metrics.height() / 2.0, plot.left() - 6, metrics.height()),
                     Qt::AlignRight | Qt::AlignVCenter, QString::number(y, 'f', decimals));
  }
  painter.drawText(QRectF(4, 0, width(), metrics.height() + 4), Qt::AlignLeft | Qt::AlignTop,
                   tr("Volume (ml)"));
  for (const auto& point : table_.timePoints) {
    if (point.labelMaps.empty()) continue;
    const QPointF at = toPoint(point.day, 0);
    painter.drawLine(at, at + QPointF(0, 4));
    painter.drawText(QRectF(at.x() - 60, at.y() + 6, 120, metrics.height()), Qt::AlignCenter,
                     QString::fromStdString(point.studyDate));
  }
  painter.drawText(
      QRectF(plot.left(), plot.bottom() + metrics.height() + 8, plot.width(), metrics.height()),
      Qt::AlignCenter, tr("Study date (day 0: baseline, %1 days shown)").arg(maxDay));
  // One line per segment, in its colour, a dot at each study.
  for (const auto& s : table_.segments) {
    const QColor colour = qColour(s.colour);
    painter.setPen(QPen(colour, 2.5));
    QPainterPath path;
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      const QPointF at = toPoint(s.points[i].day, s.points[i].volume_ml);
      if (i == 0)
        path.moveTo(at);
      else
        path.lineTo(at);
    }
    painter.drawPath(path);
    painter.setBrush(colour);
    for (const auto& p : s.points) painter.drawEllipse(toPoint(p.day, p.volume_ml), 3.5, 3.5);
    painter.setBrush(Qt::NoBrush);
  }
}

// ---- panel -----------------------------------------------------------------------------------

FollowUpPanel::FollowUpPanel(CaseDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  status_ = new QLabel(this);
  status_->setObjectName("followUpStatus");
  status_->setWordWrap(true);
  layout->addWidget(status_);
  grid_ = new QTableWidget(this);
  grid_->setObjectName("growthTable");
  grid_->verticalHeader()->hide();
  grid_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addWidget(grid_, 1);
  chart_ = new GrowthChart(this);
  chart_->setObjectName("growthChart");
  layout->addWidget(chart_, 1);
  register_ = new QPushButton(tr("Register follow-up to baseline"), this);
  register_->setObjectName("registerFollowUp");
  register_->setToolTip(
      tr("Rigid registration (Mattes mutual information) of each later study onto the earliest; "
         "series in the baseline's frame of reference need none."));
  layout->addWidget(register_);
  connect(register_, &QPushButton::clicked, this, &FollowUpPanel::registerFollowUps);
  connect(document_, &CaseDocument::caseReplaced, this, &FollowUpPanel::refresh);
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Whole || part == CasePart::Volumes || part == CasePart::LabelMaps ||
        part == CasePart::Registrations || part == CasePart::SegmentDisplay)
      refresh();
  });
  refresh();
}

void FollowUpPanel::refresh() {
  table_.reset();
  grid_->clear();
  grid_->setRowCount(0);
  grid_->setColumnCount(0);
  const Case& twin = document_->twin();
  register_->setEnabled(twin.volumes.size() > 1);
  if (twin.volumes.size() < 2) {
    status_->setText(
        tr("Add a later study of this patient (Series: Add to case) to follow "
           "segment volumes over time."));
    chart_->showTable({});
    return;
  }
  try {
    table_ = engine::growthTable(twin);
  } catch (const Error& e) {
    status_->setText(QString::fromUtf8(e.what()));
    chart_->showTable({});
    return;
  }
  const engine::GrowthTable& table = *table_;
  QString status = tr("Baseline: %1").arg(QString::fromStdString(table.baselineVolume));
  for (const auto& note : table.notes) status += "\n" + QString::fromStdString(note);
  status_->setText(status);

  // Columns: segment, one volume per segmented study date, then the growth figures.
  std::vector<std::string> dates;
  if (!table.segments.empty())
    for (const auto& p : table.segments.front().points) dates.push_back(p.studyDate);
  QStringList headers{tr("Segment")};
  for (const auto& d : dates) headers << tr("%1 (ml)").arg(QString::fromStdString(d));
  headers << tr("Change (ml)") << tr("Change (%)") << tr("Growth (%/day)") << tr("VDT (days)");
  // With three or more scans the latest interval can differ from baseline -> latest.
  const bool intervals = dates.size() >= 3;
  if (intervals) headers << tr("VDT, last interval (days)");
  headers << tr("Flag");
  grid_->setColumnCount(int(headers.size()));
  grid_->setHorizontalHeaderLabels(headers);
  grid_->setRowCount(int(table.segments.size()));
  for (int row = 0; row < int(table.segments.size()); ++row) {
    const auto& s = table.segments[std::size_t(row)];
    auto* name = cell(QString::fromStdString(s.segment));
    QPixmap swatch(12, 12);
    swatch.fill(qColour(s.colour));
    name->setIcon(QIcon(swatch));
    grid_->setItem(row, 0, name);
    int column = 1;
    for (const auto& p : s.points) {
      auto* volume = cell(QString::number(p.volume_ml, 'f', 2));
      if (p.sincePrevious)
        volume->setToolTip(tr("Since the previous scan: %1 ml (%2 %), VDT %3 days")
                               .arg(p.sincePrevious->change_ml, 0, 'f', 2)
                               .arg(number(p.sincePrevious->change_percent, 1))
                               .arg(number(p.sincePrevious->doublingTime_days, 1)));
      grid_->setItem(row, column++, volume);
    }
    grid_->setItem(row, column++, cell(QString::number(s.change_ml, 'f', 2)));
    grid_->setItem(row, column++, cell(number(s.change_percent, 1)));
    grid_->setItem(row, column++,
                   cell(s.growthRate_perDay ? QString::number(100.0 * *s.growthRate_perDay, 'f', 3)
                                            : QStringLiteral("-")));
    grid_->setItem(row, column++, cell(number(s.doublingTime_days, 1)));
    if (intervals)
      grid_->setItem(row, column++,
                     cell(number(s.points.back().sincePrevious->doublingTime_days, 1)));
    grid_->setItem(row, column++,
                   cell(s.isNew         ? tr("new")
                        : s.disappeared ? tr("disappeared")
                                        : QString()));
  }
  grid_->resizeColumnsToContents();
  grid_->setToolTip(
      tr("Volume doubling time t ln2 / ln(V2/V1) (Schwartz 1961); negative: halving time. Volume "
         "changes are context only: RECIST 1.1 thresholds (-30 %, +20 %) are for diameters."));
  chart_->showTable(table);
}

void FollowUpPanel::registerFollowUps() {
  const Case snapshot = document_->twin();  // voxels shared, not copied
  try {
    const auto results = runInBackground<std::vector<engine::FollowUpRegistration>>(
        this, tr("Registering follow-up to baseline"), [snapshot](Progress& progress) {
          return engine::registerFollowUps(snapshot, {}, "rigid", progress);
        });
    if (!results) return;  // cancelled: nothing stored
    QStringList said;
    for (const auto& r : *results) {
      if (r.record) document_->apply(edits::setRegistration(document_->twin(), *r.record));
      said << QString::fromStdString(r.followUp) + ": " +
                  (r.registered ? tr("registered (rigid)") : QString::fromStdString(r.reason));
    }
    refresh();
    status_->setText(status_->text() + "\n" + said.join("\n"));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Cannot register the follow-up"), QString::fromUtf8(e.what()));
  }
}

}  // namespace twinplan::ui
