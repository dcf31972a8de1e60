// The fusion controls of the Series panel (series_panel.h).
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QSlider>
#include <algorithm>
#include <cmath>
#include <vector>

#include "twinplan/rendering/colour_maps.h"
#include "twinplan/rendering/initial_window.h"
#include "twinplan/ui/series_panel.h"

namespace twinplan::ui {

using rendering::WindowLevel;

FusionPanel::FusionPanel(QWidget* parent) : QWidget(parent) {
  auto* form = new QFormLayout(this);
  form->setContentsMargins(0, 4, 0, 0);
  opacity_ = new QSlider(Qt::Horizontal, this);
  opacity_->setObjectName("fusionOpacity");
  opacity_->setRange(0, 100);
  opacity_->setToolTip(tr("Opacity of the foreground over the background (blend mode)"));
  form->addRow(tr("Opacity"), opacity_);
  colourMap_ = new QComboBox(this);
  colourMap_->setObjectName("fusionColourMap");
  for (auto map : rendering::allColourMaps())
    colourMap_->addItem(tr(rendering::displayName(map)), QString(rendering::toString(map)));
  colourMap_->setToolTip(tr("Colour map of the foreground (DICOM well-known palettes, PS3.6 B)"));
  form->addRow(tr("Colours"), colourMap_);
  window_ = new QComboBox(this);
  window_->setObjectName("fusionWindow");
  window_->setToolTip(tr("Window of the foreground; PET in SUV"));
  form->addRow(tr("Window"), window_);
  mode_ = new QComboBox(this);
  mode_->setObjectName("fusionMode");
  mode_->addItem(tr("Blend"), "blend");
  mode_->addItem(tr("Checkerboard"), "checkerboard");
  mode_->addItem(tr("Flicker"), "flicker");
  mode_->setToolTip(tr("Blend the two; or a checkerboard or flicker to judge their alignment"));
  form->addRow(tr("Mode"), mode_);
  slab_ = new QComboBox(this);
  slab_->setObjectName("slabMode");
  slab_->addItem(tr("Thin (none)"), "none");
  slab_->addItem(tr("MIP"), "mip");
  slab_->addItem(tr("MinIP"), "minip");
  slab_->addItem(tr("Mean"), "mean");
  slab_->setToolTip(tr("Thick slab along each view's normal: maximum, minimum or mean"));
  slabThickness_ = new QDoubleSpinBox(this);
  slabThickness_->setObjectName("slabThickness");
  slabThickness_->setRange(1.0, 200.0);
  slabThickness_->setSuffix(tr(" mm"));
  slabThickness_->setDecimals(0);
  auto* slabRow = new QWidget(this);
  auto* slabLayout = new QHBoxLayout(slabRow);
  slabLayout->setContentsMargins(0, 0, 0, 0);
  slabLayout->addWidget(slab_, 1);
  slabLayout->addWidget(slabThickness_);
  form->addRow(tr("Slab"), slabRow);
  colourBar_ = new QCheckBox(tr("Colour bar"), this);
  colourBar_->setObjectName("colourBar");
  form->addRow(QString(), colourBar_);

  connect(opacity_, &QSlider::valueChanged, this, &FusionPanel::emitChange);
  connect(colourMap_, &QComboBox::currentIndexChanged, this, &FusionPanel::emitChange);
  connect(mode_, &QComboBox::currentIndexChanged, this, &FusionPanel::emitChange);
  connect(slab_, &QComboBox::currentIndexChanged, this, &FusionPanel::emitChange);
  connect(slabThickness_, &QDoubleSpinBox::valueChanged, this, &FusionPanel::emitChange);
  connect(colourBar_, &QCheckBox::toggled, this, &FusionPanel::emitChange);
  connect(window_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (showing_ || index < 0 || index >= static_cast<int>(presets_.size())) return;
    emit foregroundWindowChosen(presets_[static_cast<std::size_t>(index)].window);
  });
  showSettings(settings_, nullptr, {});
}

void FusionPanel::showSettings(const FusionSettings& settings, const ImageVolume* foreground,
                               const WindowLevel& foregroundWindow) {
  showing_ = true;
  settings_ = settings;
  opacity_->setValue(static_cast<int>(std::lround(settings.opacity * 100.0)));
  colourMap_->setCurrentIndex(
      std::max(0, colourMap_->findData(QString::fromStdString(settings.colourMap))));
  mode_->setCurrentIndex(std::max(0, mode_->findData(QString::fromStdString(settings.mode))));
  slab_->setCurrentIndex(std::max(0, slab_->findData(QString::fromStdString(settings.slab))));
  slabThickness_->setValue(settings.slabThickness_mm);
  slabThickness_->setEnabled(settings.slab != "none");
  colourBar_->setChecked(settings.colourBar);
  // Window presets of the foreground: SUV scales for PET, its first window otherwise; the
  // window it has now shows as "Custom" when it is none of them.
  presets_.clear();
  if (foreground && rendering::isSuvPet(*foreground)) {
    presets_ = rendering::suvWindowPresets();
  } else if (foreground) {
    presets_.push_back({tr("Automatic").toStdString(), rendering::initialWindow(*foreground)});
  }
  window_->clear();
  int current = -1;
  for (std::size_t p = 0; p < presets_.size(); ++p) {
    window_->addItem(QString::fromStdString(presets_[p].name));
    if (std::abs(presets_[p].window.window - foregroundWindow.window) < 1e-9 &&
        std::abs(presets_[p].window.level - foregroundWindow.level) < 1e-9)
      current = static_cast<int>(p);
  }
  if (foreground && current < 0) {
    // As the range it shows, in the series' unit ("Custom (0 - 33.4 SUVbw)").
    const QString unit =
        foreground->unit.empty() ? QString() : " " + QString::fromStdString(foreground->unit);
    window_->addItem(tr("Custom (%1 – %2%3)")
                         .arg(foregroundWindow.level - foregroundWindow.window / 2, 0, 'g', 3)
                         .arg(foregroundWindow.level + foregroundWindow.window / 2, 0, 'g', 3)
                         .arg(unit));
    current = window_->count() - 1;
  }
  window_->setCurrentIndex(current);
  const bool on = foreground != nullptr;
  for (QWidget* control : {static_cast<QWidget*>(opacity_), static_cast<QWidget*>(colourMap_),
                           static_cast<QWidget*>(window_), static_cast<QWidget*>(mode_)})
    control->setEnabled(on);
  showing_ = false;
}

void FusionPanel::emitChange() {
  if (showing_) return;
  settings_.opacity = opacity_->value() / 100.0;
  settings_.colourMap = colourMap_->currentData().toString().toStdString();
  settings_.mode = mode_->currentData().toString().toStdString();
  settings_.slab = slab_->currentData().toString().toStdString();
  settings_.slabThickness_mm = slabThickness_->value();
  settings_.colourBar = colourBar_->isChecked();
  slabThickness_->setEnabled(settings_.slab != "none");
  emit settingsChanged(settings_);
}

}  // namespace twinplan::ui
