#include "twinplan/ui/segment_comparison_panel.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <fstream>
#include <utility>

#include "twinplan/core/error.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"

namespace twinplan::ui {
namespace {

struct Figure {
  const char* label;
  const char* csvName;
  const char* unit;
  double segmentation::SegmentComparison::*value;
  int decimals;
};

// The order of the result table and of the CSV columns.
const Figure kFigures[] = {
    {"Dice", "dice", "", &segmentation::SegmentComparison::dice, 4},
    {"Jaccard", "jaccard", "", &segmentation::SegmentComparison::jaccard, 4},
    {"Hausdorff (max)", "hausdorff_mm", "mm", &segmentation::SegmentComparison::hausdorff_mm, 2},
    {"Hausdorff 95%", "hausdorff95_mm", "mm", &segmentation::SegmentComparison::hausdorff95_mm, 2},
    {"Mean surface distance", "mean_surface_distance_mm", "mm",
     &segmentation::SegmentComparison::meanSurfaceDistance_mm, 2},
    {"Volume A", "volume_a_ml", "ml", &segmentation::SegmentComparison::volumeA_ml, 2},
    {"Volume B", "volume_b_ml", "ml", &segmentation::SegmentComparison::volumeB_ml, 2},
    {"Volume B − A", "volume_difference_ml", "ml",
     &segmentation::SegmentComparison::volumeDifference_ml, 2},
    {"Volume B − A", "volume_difference_percent", "%",
     &segmentation::SegmentComparison::volumeDifference_percent, 1},
};

// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
QString csvField(const QString& text) {
  if (!text.contains(',') && !text.contains('"') && !text.contains('\n')) return text;
  QString quoted = text;
  quoted.replace('"', "\"\"");
  return '"' + quoted + '"';
}

}  // namespace

SegmentComparisonPanel::SegmentComparisonPanel(CaseDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  a_ = new QComboBox(this);
  a_->setObjectName("compareSegmentA");
  b_ = new QComboBox(this);
  b_->setObjectName("compareSegmentB");
  // Long segment names must not widen the dock column (the views would shrink).
  for (QComboBox* combo : {a_, b_}) {
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(12);
  }
  compute_ = new QPushButton(tr("Compute"), this);
  compute_->setObjectName("compareCompute");
  compute_->setToolTip(tr("Overlap and surface distances of B against A"));
  copy_ = new QPushButton(tr("Copy"), this);
  copy_->setObjectName("compareCopy");
  copy_->setToolTip(tr("Copy the figures as CSV"));
  export_ = new QPushButton(tr("Export CSV…"), this);
  export_->setObjectName("compareExport");
  results_ = new QTableWidget(static_cast<int>(std::size(kFigures)), 2, this);
  results_->setObjectName("compareResults");
  results_->setHorizontalHeaderLabels({tr("Measure"), tr("Value")});
  results_->verticalHeader()->hide();
  results_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  results_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  results_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  results_->setSelectionMode(QAbstractItemView::NoSelection);
  results_->setShowGrid(false);
  results_->setAlternatingRowColors(true);
  results_->verticalHeader()->setDefaultSectionSize(24);
  for (int row = 0; row < static_cast<int>(std::size(kFigures)); ++row) {
    const Figure& f = kFigures[row];
    auto* label = new QTableWidgetItem(
        *f.unit ? QStringLiteral("%1 (%2)").arg(tr(f.label), QString::fromUtf8(f.unit))
                : tr(f.label));
    results_->setItem(row, 0, label);
    auto* value = new QTableWidgetItem(QStringLiteral("–"));
    value->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    results_->setItem(row, 1, value);
  }
  // Every figure in sight, no scroll bar.
  results_->setMinimumHeight(results_->horizontalHeader()->sizeHint().height() +
                             results_->rowCount() * 24 + 2 * results_->frameWidth() + 2);
  results_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  message_ = new QLabel(this);
  message_->setObjectName("compareMessage");
  message_->setWordWrap(true);
  auto* source = new QLabel(
      tr("Definitions: Taha & Hanbury, BMC Med Imaging 15:29 (2015). Overlap on the finer "
         "grid; distances between boundary voxel centres."),
      this);
  source->setWordWrap(true);
  source->setEnabled(false);

  auto* form = new QFormLayout;
  form->addRow(tr("Segment A"), a_);
  form->addRow(tr("Segment B"), b_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(compute_);
  buttons->addStretch(1);
  buttons->addWidget(copy_);
  buttons->addWidget(export_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(results_, 1);
  layout->addWidget(message_);
  layout->addWidget(source);

  choosePath_ = [this] {
    const QString file = QFileDialog::getSaveFileName(
        this, tr("Export comparison"), "segment-comparison.csv", tr("CSV files (*.csv)"));
    return std::filesystem::path(file.toStdString());
  };
  connect(compute_, &QPushButton::clicked, this, [this] { compute(); });
  connect(copy_, &QPushButton::clicked, this, [this] { copyCsv(); });
  connect(export_, &QPushButton::clicked, this, [this] {
    const std::filesystem::path file = choosePath_();
    if (file.empty()) return;
    try {
      exportCsv(file);
      showMessage(tr("Saved %1").arg(QString::fromStdString(file.string())));
    } catch (const std::exception& e) {
      showMessage(QString::fromUtf8(e.what()));
    }
  });
  for (QComboBox* combo : {a_, b_})
    connect(combo, &QComboBox::currentIndexChanged, this, [this] {
      result_.reset();  // the figures were of another pair
      showResult();
    });
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Whole || part == CasePart::LabelMaps) refreshChoices();
  });
  refreshChoices();
}

void SegmentComparisonPanel::refreshChoices() {
  const std::optional<SegmentRef> wasA = chosen(a_), wasB = chosen(b_);
  const Case& twin = document_->twin();
  choices_.clear();
  const QSignalBlocker blockA(a_), blockB(b_);
  a_->clear();
  b_->clear();
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
    const LabelMap& labels = twin.labelMaps[m];
    for (std::size_t s = 0; s < labels.segments().size(); ++s) {
      choices_.push_back({m, s});
      QString text = QString::fromStdString(labels.segments()[s].name);
      if (twin.labelMaps.size() > 1)
        text +=
            QStringLiteral("  (%1)").arg(labels.name.empty() ? tr("label map %1").arg(m + 1)
                                                             : QString::fromStdString(labels.name));
      a_->addItem(text);
      b_->addItem(text);
    }
  }
  auto reselect = [this](QComboBox* combo, const std::optional<SegmentRef>& was, int fallback) {
    int index = fallback;
    for (int i = 0; was && i < static_cast<int>(choices_.size()); ++i)
      if (choices_[static_cast<std::size_t>(i)] == *was) index = i;
    combo->setCurrentIndex(std::min(index, combo->count() - 1));
  };
  reselect(a_, wasA, 0);
  reselect(b_, wasB, 1);
  compute_->setEnabled(!choices_.empty());
  result_.reset();
  showResult();
}

std::optional<SegmentRef> SegmentComparisonPanel::chosen(const QComboBox* combo) const {
  const int index = combo->currentIndex();
  if (index < 0 || index >= static_cast<int>(choices_.size())) return std::nullopt;
  return choices_[static_cast<std::size_t>(index)];
}

void SegmentComparisonPanel::setSegments(const SegmentRef& a, const SegmentRef& b) {
  for (int i = 0; i < static_cast<int>(choices_.size()); ++i) {
    if (choices_[static_cast<std::size_t>(i)] == a) a_->setCurrentIndex(i);
    if (choices_[static_cast<std::size_t>(i)] == b) b_->setCurrentIndex(i);
  }
}

bool SegmentComparisonPanel::compute() {
  const auto a = chosen(a_), b = chosen(b_);
  if (!a || !b) {
    showMessage(tr("The case has no segments to compare."));
    return false;
  }
  const Case& twin = document_->twin();
  // Copies of the two label maps share their voxels (copy-on-write), so the work reads them
  // off the GUI thread while an edit of the case would write to new copies.
  const LabelMap labelsA = twin.labelMaps[a->labelMap], labelsB = twin.labelMaps[b->labelMap];
  const std::size_t segmentA = a->segment, segmentB = b->segment;
  try {
    auto result = runInBackground<segmentation::SegmentComparison>(
        this, tr("Comparing segments…"), [&](Progress& progress) {
          const auto maskA = segmentation::maskOfSegment(labelsA, segmentA);
          const auto maskB = segmentation::maskOfSegment(labelsB, segmentB);
          return segmentation::compareSegments(maskA, maskB, progress);
        });
    if (!result) {
      showMessage(tr("Cancelled."));
      return false;
    }
    result_ = *result;
    nameA_ = labelsA.segments()[segmentA].name;
    nameB_ = labelsB.segments()[segmentB].name;
    showResult();
    message_->clear();
    return true;
  } catch (const std::exception& e) {
    result_.reset();
    showResult();
    showMessage(QString::fromUtf8(e.what()));
    return false;
  }
}

void SegmentComparisonPanel::showResult() {
  for (int row = 0; row < static_cast<int>(std::size(kFigures)); ++row) {
    const Figure& f = kFigures[row];
    results_->item(row, 1)->setText(result_ ? QString::number((*result_).*f.value, 'f', f.decimals)
                                            : QStringLiteral("–"));
  }
  copy_->setEnabled(result_.has_value());
  export_->setEnabled(result_.has_value());
}

void SegmentComparisonPanel::showMessage(const QString& text) { message_->setText(text); }

QString SegmentComparisonPanel::csv() const {
  if (!result_) return {};
  QStringList header{"segment_a", "segment_b"},
      values{csvField(QString::fromStdString(nameA_)), csvField(QString::fromStdString(nameB_))};
  for (const Figure& f : kFigures) {
    header << f.csvName;
    // Full precision: the CSV is for further analysis, the table for reading.
    values << QString::number((*result_).*f.value, 'g', 10);
  }
  return header.join(',') + '\n' + values.join(',') + '\n';
}

void SegmentComparisonPanel::copyCsv() const {
  if (result_) QApplication::clipboard()->setText(csv());
}

void SegmentComparisonPanel::exportCsv(const std::filesystem::path& file) const {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  const QByteArray text = csv().toUtf8();
  out.write(text.constData(), text.size());
  out.close();
  if (!out)
    throw Error(ErrorKind::Io,
                "Cannot write the comparison to " + file.string() +
                    "; check that the folder exists and is writable.",
                file.string());
}

}  // namespace twinplan::ui
