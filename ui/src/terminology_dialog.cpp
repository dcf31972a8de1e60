#include "twinplan/ui/terminology_dialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace twinplan::ui {

TerminologyDialog::TerminologyDialog(const SegmentTerminology& current, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Segment terminology"));
  search_ = new QLineEdit(this);
  search_->setObjectName("terminologySearch");
  search_->setPlaceholderText(tr("Search: liver, neoplasm, tissue, 10200004 …"));
  search_->setClearButtonEnabled(true);
  list_ = new QListWidget(this);
  list_->setObjectName("terminologyList");
  auto* source =
      new QLabel(tr("SNOMED CT codes of DICOM PS3.16 CID 7150 (categories), CID 7166 (tissues), "
                    "CID 7159 (lesions) and the TG-263 anatomy list."),
                 this);
  source->setWordWrap(true);
  source->setEnabled(false);  // a quiet footnote
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(search_);
  layout->addWidget(list_, 1);
  layout->addWidget(source);
  layout->addWidget(buttons);
  resize(460, 480);

  connect(search_, &QLineEdit::textChanged, this, &TerminologyDialog::showMatches);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(list_, &QListWidget::itemDoubleClicked, this, &QDialog::accept);
  auto* ok = buttons->button(QDialogButtonBox::Ok);
  ok->setEnabled(false);
  connect(list_, &QListWidget::currentRowChanged, this,
          [ok](int row) { ok->setEnabled(row >= 0); });
  showMatches({});
  for (std::size_t i = 0; i < shown_.size(); ++i)
    if (!current.type.empty() && shown_[i].terminology.type == current.type)
      list_->setCurrentRow(static_cast<int>(i));
}

void TerminologyDialog::showMatches(const QString& text) {
  list_->clear();
  shown_ = segmentation::searchTerminology(text.trimmed().toStdString());
  for (const auto& entry : shown_) {
    const SegmentTerminology& t = entry.terminology;
    auto* item = new QListWidgetItem(
        QStringLiteral("%1 — %2  (%3 %4)")
            .arg(QString::fromStdString(t.type.meaning), QString::fromStdString(t.category.meaning),
                 QString::fromStdString(t.type.scheme), QString::fromStdString(t.type.value)),
        list_);
    if (!entry.tissueType.empty())
      item->setToolTip(tr("Tissue type: %1").arg(QString::fromStdString(entry.tissueType)));
  }
}

std::optional<segmentation::TerminologyEntry> TerminologyDialog::selected() const {
  const int row = list_->currentRow();
  if (row < 0 || row >= static_cast<int>(shown_.size())) return std::nullopt;
  return shown_[static_cast<std::size_t>(row)];
}

}  // namespace twinplan::ui
