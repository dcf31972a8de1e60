#include "twinplan/ui/models_panel.h"

#include <QColorDialog>
#include <QHeaderView>
#include <QPainter>
#include <QPixmap>
#include <QSignalBlocker>
#include <QSlider>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <cmath>

namespace twinplan::ui {
namespace {

enum Column { kName = 0, kOpacity = 1 };

QIcon swatch(const Rgb& colour) {
  QPixmap pixmap(14, 14);
  pixmap.fill(Qt::transparent);
  QPainter painter(&pixmap);
  painter.setPen(QColor(20, 20, 20));
  painter.setBrush(QColor(colour.r, colour.g, colour.b));
  painter.drawRoundedRect(QRectF(0.5, 0.5, 13, 13), 3, 3);
  return QIcon(pixmap);
}

int percent(float opacity) { return static_cast<int>(std::lround(opacity * 100.0f)); }

}  // namespace

ModelsPanel::ModelsPanel(QWidget* parent) : QWidget(parent) {
  list_ = new QTreeWidget(this);
  list_->setObjectName("modelList");
  list_->setColumnCount(2);
  list_->setHeaderLabels({tr("Model"), tr("Opacity")});
  list_->setRootIsDecorated(false);
  list_->header()->setSectionResizeMode(kName, QHeaderView::Stretch);
  list_->header()->setSectionResizeMode(kOpacity, QHeaderView::Fixed);
  list_->header()->resizeSection(kOpacity, 110);
  list_->setToolTip(tr("Tick to show a model in 3D · double-click its name to change the colour"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(list_);

  connect(list_, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item, int column) {
    if (column != kName) return;
    const auto index = static_cast<std::size_t>(list_->indexOfTopLevelItem(item));
    if (index >= shown_.size()) return;
    const bool visible = item->checkState(kName) == Qt::Checked;
    if (visible == shown_[index].visible) return;
    shown_[index].visible = visible;
    emitEdit(index, false);
  });
  connect(list_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item, int) {
    chooseColour(static_cast<std::size_t>(list_->indexOfTopLevelItem(item)));
  });
}

void ModelsPanel::setMeshes(const std::vector<SurfaceMesh>& meshes) {
  const QSignalBlocker blocker(list_);
  list_->clear();
  shown_.clear();
  sliders_.clear();
  for (std::size_t i = 0; i < meshes.size(); ++i) addRow(i, meshes[i]);
}

void ModelsPanel::addRow(std::size_t index, const SurfaceMesh& mesh) {
  auto* item = new QTreeWidgetItem(list_);
  item->setText(kName, QString::fromStdString(mesh.name));
  item->setToolTip(kName, tr("%1: %2 triangles")
                              .arg(QString::fromStdString(mesh.name))
                              .arg(mesh.triangles.size()));
  item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
  auto* slider = new QSlider(Qt::Horizontal);
  slider->setRange(0, 100);
  slider->setToolTip(tr("Opacity of %1").arg(QString::fromStdString(mesh.name)));
  list_->setItemWidget(item, kOpacity, slider);
  sliders_.push_back(slider);
  shown_.push_back({});
  showMesh(index, mesh);

  // The first step of a drag is its own undo step; the steps after it merge into it.
  connect(slider, &QSlider::sliderPressed, slider, [slider] { slider->setProperty("drag", 0); });
  connect(slider, &QSlider::valueChanged, this, [this, index, slider](int value) {
    shown_[index].opacity = static_cast<float>(value) / 100.0f;
    bool continuing = false;
    if (slider->isSliderDown()) {
      continuing = slider->property("drag").toInt() > 0;
      slider->setProperty("drag", 1);
    }
    emitEdit(index, continuing);
  });
}

void ModelsPanel::showMesh(std::size_t index, const SurfaceMesh& mesh) {
  if (index >= shown_.size()) return;
  shown_[index] = {mesh.colour, mesh.opacity, mesh.visible};
  {
    const QSignalBlocker blocker(list_);
    QTreeWidgetItem* item = list_->topLevelItem(static_cast<int>(index));
    item->setCheckState(kName, mesh.visible ? Qt::Checked : Qt::Unchecked);
    item->setIcon(kName, swatch(mesh.colour));
  }
  const QSignalBlocker blocker(sliders_[index]);
  sliders_[index]->setValue(percent(mesh.opacity));
}

QSlider* ModelsPanel::opacitySlider(std::size_t index) const {
  return index < sliders_.size() ? sliders_[index] : nullptr;
}

void ModelsPanel::chooseColour(std::size_t index) {
  if (index >= shown_.size()) return;
  const Rgb& now = shown_[index].colour;
  const QColor chosen = QColorDialog::getColor(QColor(now.r, now.g, now.b), this,
                                               tr("Colour of the model"));
  if (!chosen.isValid()) return;
  shown_[index].colour = {static_cast<std::uint8_t>(chosen.red()),
                          static_cast<std::uint8_t>(chosen.green()),
                          static_cast<std::uint8_t>(chosen.blue())};
  emitEdit(index, false);
}

void ModelsPanel::emitEdit(std::size_t index, bool continuing) {
  const Shown& s = shown_[index];
  emit displayEdited(index, s.colour, s.opacity, s.visible, continuing);
}

}  // namespace twinplan::ui
