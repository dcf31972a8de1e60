#include "twinplan/ui/display_list_panel.h"

#include <QColorDialog>
#include <QHeaderView>
#include <QPainter>
#include <QPixmap>
#include <QSignalBlocker>
#include <QSlider>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
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

DisplayListPanel::DisplayListPanel(const QString& title, QWidget* parent) : QWidget(parent) {
  list_ = new QTreeWidget(this);
  list_->setColumnCount(2);
  list_->setHeaderLabels({title, tr("Opacity")});
  list_->setRootIsDecorated(false);
  list_->header()->setSectionResizeMode(kName, QHeaderView::Stretch);
  list_->header()->setSectionResizeMode(kOpacity, QHeaderView::Fixed);
  list_->header()->resizeSection(kOpacity, 110);
  list_->setToolTip(tr("Tick to show · double-click the name to change the colour"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(list_);

  connect(list_, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* row, int column) {
    const auto index = static_cast<std::size_t>(list_->indexOfTopLevelItem(row));
    if (column != kName || index >= shown_.size()) return;
    const bool visible = row->checkState(kName) == Qt::Checked;
    if (visible == shown_[index].visible) return;
    shown_[index].visible = visible;
    emit displayEdited(index, shown_[index], false);
  });
  connect(list_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* row, int) {
    chooseColour(static_cast<std::size_t>(list_->indexOfTopLevelItem(row)));
  });
}

void DisplayListPanel::setItems(const std::vector<DisplayItem>& items) {
  const QSignalBlocker blocker(list_);
  list_->clear();
  shown_.clear();
  sliders_.clear();
  for (std::size_t i = 0; i < items.size(); ++i) addRow(i, items[i]);
  const bool anyOpacity = std::any_of(items.begin(), items.end(),
                                      [](const DisplayItem& item) { return item.opacity; });
  list_->setColumnHidden(kOpacity, !anyOpacity);
}

void DisplayListPanel::addRow(std::size_t index, const DisplayItem& item) {
  auto* row = new QTreeWidgetItem(list_);
  row->setText(kName, QString::fromStdString(item.name));
  row->setToolTip(kName, QString::fromStdString(item.details));
  row->setFlags(row->flags() | Qt::ItemIsUserCheckable);
  QSlider* slider = nullptr;
  if (item.opacity) {
    slider = new QSlider(Qt::Horizontal);
    slider->setRange(0, 100);
    slider->setToolTip(tr("Opacity of %1").arg(QString::fromStdString(item.name)));
    list_->setItemWidget(row, kOpacity, slider);
    // The first step of a drag is its own undo step; the steps after it merge into it.
    connect(slider, &QSlider::sliderPressed, slider, [slider] { slider->setProperty("drag", 0); });
    connect(slider, &QSlider::valueChanged, this, [this, index, slider](int value) {
      shown_[index].opacity = static_cast<float>(value) / 100.0f;
      bool continuing = false;
      if (slider->isSliderDown()) {
        continuing = slider->property("drag").toInt() > 0;
        slider->setProperty("drag", 1);
      }
      emit displayEdited(index, shown_[index], continuing);
    });
  }
  sliders_.push_back(slider);
  shown_.push_back(item);
  showItem(index, item);
}

void DisplayListPanel::showItem(std::size_t index, const DisplayItem& item) {
  if (index >= shown_.size()) return;
  shown_[index] = item;
  {
    const QSignalBlocker blocker(list_);
    QTreeWidgetItem* row = list_->topLevelItem(static_cast<int>(index));
    row->setCheckState(kName, item.visible ? Qt::Checked : Qt::Unchecked);
    row->setIcon(kName, swatch(item.colour));
  }
  if (QSlider* slider = sliders_[index]; slider && item.opacity) {
    const QSignalBlocker blocker(slider);
    slider->setValue(percent(*item.opacity));
  }
}

QSlider* DisplayListPanel::opacitySlider(std::size_t index) const {
  return index < sliders_.size() ? sliders_[index] : nullptr;
}

void DisplayListPanel::chooseColour(std::size_t index) {
  if (index >= shown_.size()) return;
  const Rgb& now = shown_[index].colour;
  const QColor chosen =
      QColorDialog::getColor(QColor(now.r, now.g, now.b), this, tr("Colour"));
  if (!chosen.isValid()) return;
  shown_[index].colour = {static_cast<std::uint8_t>(chosen.red()),
                          static_cast<std::uint8_t>(chosen.green()),
                          static_cast<std::uint8_t>(chosen.blue())};
  emit displayEdited(index, shown_[index], false);
}

}  // namespace twinplan::ui
