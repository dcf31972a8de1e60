#include "twinplan/ui/series_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QStandardItemModel>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "twinplan/engine/jobs.h"
#include "twinplan/engine/series_alignment.h"
#include "twinplan/ui/registration_dialog.h"

namespace twinplan::ui {

namespace {

// The alignment beside the name: it is what decides whether a series can be fused.
enum Column { kName, kAlignment, kModality, kStudyDate, kDescription, kColumnCount };

QString isoDate(const std::string& da) {
  if (da.size() != 8) return QString::fromStdString(da);
  return QString::fromStdString(da.substr(0, 4) + "-" + da.substr(4, 2) + "-" + da.substr(6, 2));
}

// Whether the engine has a registration job yet (issue #15 item 3 adds "register").
bool registrationJobExists() {
  for (const auto& info : engine::jobCatalogue())
    if (info.kind == "register") return true;
  return false;
}

}  // namespace

SeriesPanel::SeriesPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  table_ = new QTreeWidget(this);
  table_->setObjectName("seriesTable");
  table_->setColumnCount(kColumnCount);
  table_->setHeaderLabels(
      {tr("Series"), tr("Alignment"), tr("Mod."), tr("Study date"), tr("Description")});
  table_->setRootIsDecorated(false);
  table_->setAlternatingRowColors(true);
  table_->header()->setStretchLastSection(true);
  for (int c = 0; c < kDescription; ++c)
    table_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  // A case has a few series: a short list leaves the fusion controls in view.
  table_->setMaximumHeight(170);
  setMinimumWidth(330);
  layout->addWidget(table_);

  auto* form = new QFormLayout;
  background_ = new QComboBox(this);
  background_->setObjectName("backgroundSeries");
  background_->setToolTip(tr("The series every view shows in grey"));
  foreground_ = new QComboBox(this);
  foreground_->setObjectName("foregroundSeries");
  foreground_->setToolTip(tr("A second series fused over the background (PET on CT, MR on CT)"));
  form->addRow(tr("Background"), background_);
  form->addRow(tr("Foreground"), foreground_);
  layout->addLayout(form);
  warning_ = new QLabel(this);
  warning_->setObjectName("seriesWarning");
  warning_->setWordWrap(true);
  layout->addWidget(warning_);

  auto* buttons = new QHBoxLayout;
  remove_ = new QPushButton(tr("Remove from case"), this);
  remove_->setObjectName("removeSeries");
  remove_->setToolTip(
      tr("Take the selected series out of the case with its registrations "
         "(undoable)"));
  register_ = new QPushButton(tr("Register…"), this);
  register_->setObjectName("registerSeries");
  removeRegistration_ = new QPushButton(tr("Remove registration"), this);
  removeRegistration_->setObjectName("removeRegistration");
  removeRegistration_->setToolTip(
      tr("Forget the selected series' registration: it is no longer fused (undoable)"));
  buttons->addWidget(remove_);
  buttons->addWidget(register_);
  buttons->addWidget(removeRegistration_);
  layout->addLayout(buttons);
  // How good the selected series' registration is (metric value, iterations, TRE).
  quality_ = new QLabel(this);
  quality_->setObjectName("registrationQuality");
  quality_->setWordWrap(true);
  layout->addWidget(quality_);
  fusion_ = new FusionPanel(this);
  layout->addWidget(fusion_);
  layout->addStretch(1);

  connect(background_, &QComboBox::currentIndexChanged, this, [this] {
    if (!showing_) emit backgroundChosen(background_->currentData().toString().toStdString());
  });
  connect(foreground_, &QComboBox::currentIndexChanged, this, [this] {
    if (!showing_) emit foregroundChosen(foreground_->currentData().toString().toStdString());
  });
  connect(remove_, &QPushButton::clicked, this, [this] {
    const int row = table_->indexOfTopLevelItem(table_->currentItem());
    if (row >= 0) emit removeRequested(static_cast<std::size_t>(row));
  });
  connect(register_, &QPushButton::clicked, this, &SeriesPanel::registerRequested);
  connect(removeRegistration_, &QPushButton::clicked, this, [this] {
    if (QTreeWidgetItem* item = table_->currentItem())
      emit removeRegistrationRequested(item->text(kName).toStdString());
  });
  connect(table_, &QTreeWidget::currentItemChanged, this, [this] {
    remove_->setEnabled(table_->currentItem() != nullptr);
    if (shown_ && !showing_) showSelected(*shown_);
  });
}

std::string SeriesPanel::selectedVolume() const {
  QTreeWidgetItem* item = table_->currentItem();
  return item ? item->text(kName).toStdString() : std::string();
}

const Registration* SeriesPanel::registrationOf(const Case& twin, const std::string& volume) {
  for (const Registration& registration : twin.registrations)
    if (registration.movingVolume == volume) return &registration;
  return nullptr;
}

void SeriesPanel::showSelected(const Case& twin) {
  QTreeWidgetItem* item = table_->currentItem();
  const Registration* registration =
      item ? registrationOf(twin, item->text(kName).toStdString()) : nullptr;
  removeRegistration_->setEnabled(registration != nullptr);
  if (!registration) {
    quality_->clear();
    return;
  }
  const QString quality = registrationQualityText(*registration);
  quality_->setText(tr("%1 onto %2 (%3)%4")
                        .arg(QString::fromStdString(registration->movingVolume),
                             QString::fromStdString(registration->fixedVolume),
                             QString::fromStdString(registration->method),
                             quality.isEmpty() ? QString() : ": " + quality));
}

void SeriesPanel::showSeries(const Case& twin, const std::string& background,
                             const std::string& foreground) {
  showing_ = true;
  const int selected = table_->indexOfTopLevelItem(table_->currentItem());
  table_->clear();
  background_->clear();
  foreground_->clear();
  foreground_->addItem(tr("None"), QString());
  auto* foregroundItems = qobject_cast<QStandardItemModel*>(foreground_->model());
  QStringList unaligned;
  for (const ImageVolume& volume : twin.volumes) {
    const QString name = QString::fromStdString(volume.name);
    const auto alignment = engine::seriesAlignment(twin, background, volume.name);
    auto* row = new QTreeWidgetItem(table_);
    row->setText(kName, name);
    row->setText(kModality, QString::fromStdString(volume.dicom.modality));
    row->setText(kDescription, QString::fromStdString(volume.dicom.seriesDescription));
    row->setText(kStudyDate, isoDate(volume.dicom.studyDate));
    // The quality beside the state: a registration is only as good as its metric and TRE.
    const Registration* registration = registrationOf(twin, volume.name);
    const QString quality = registration ? registrationQualityText(*registration) : QString();
    row->setText(kAlignment, QString::fromStdString(alignment.text) +
                                 (quality.isEmpty() ? QString() : " · " + quality));
    if (!alignment.fusable()) {
      // Fusing it would overlay two unrelated coordinate systems: said, and not offered.
      row->setIcon(kAlignment, style()->standardIcon(QStyle::SP_MessageBoxWarning));
      row->setToolTip(kAlignment,
                      tr("%1 and %2 do not share a frame of reference and no registration maps "
                         "one onto the other: they are not fused. Register them first.")
                          .arg(name, QString::fromStdString(background)));
      unaligned << name;
    }
    background_->addItem(name, name);
    if (volume.name == background) continue;
    foreground_->addItem(QString("%1  (%2)").arg(name, QString::fromStdString(alignment.text)),
                         name);
    if (!alignment.fusable() && foregroundItems) {
      QStandardItem* item = foregroundItems->item(foreground_->count() - 1);
      item->setFlags(item->flags() & ~Qt::ItemIsEnabled);
      item->setToolTip(
          tr("Not registered to %1: register it to fuse").arg(QString::fromStdString(background)));
    }
  }
  background_->setCurrentIndex(
      std::max(0, background_->findData(QString::fromStdString(background))));
  foreground_->setCurrentIndex(
      std::max(0, foreground_->findData(QString::fromStdString(foreground))));
  if (selected >= 0 && selected < table_->topLevelItemCount())
    table_->setCurrentItem(table_->topLevelItem(selected));
  remove_->setEnabled(table_->currentItem() != nullptr);
  warning_->setText(unaligned.isEmpty()
                        ? QString()
                        : tr("⚠ Not registered to %1, not fused: %2")
                              .arg(QString::fromStdString(background), unaligned.join(", ")));
  warning_->setVisible(!unaligned.isEmpty());
  const bool canRegister = registrationJobExists();
  register_->setEnabled(canRegister && twin.volumes.size() > 1);
  register_->setToolTip(canRegister ? tr("Register one series of the case onto another")
                                    : tr("Registration (issue #15 item 3) is not in this build "
                                         "yet: series of another frame of reference cannot be "
                                         "fused until it is."));
  shown_ = &twin;
  showSelected(twin);
  showing_ = false;
}

}  // namespace twinplan::ui
