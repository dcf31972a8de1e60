#pragma once
// A list of things shown in the views — the case's 3D models, its segments — each with a
// visibility tick, a colour swatch (double-click to change) and, where it has one, an opacity
// slider: a surgeon makes the liver see-through to find the tumours, a radiologist hides a
// segment to read the image under it. The panel only reports what the user asked for; the
// document applies it (undoably) and the panel then shows the result.
#include <QWidget>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/label_map.h"

class QTreeWidget;
class QSlider;

namespace twinplan::ui {

struct DisplayItem {
  std::string name;
  std::string details;  // tooltip
  Rgb colour;
  std::optional<float> opacity;  // none: no slider
  bool visible = true;
};

class DisplayListPanel : public QWidget {
  Q_OBJECT
 public:
  explicit DisplayListPanel(const QString& title, QWidget* parent = nullptr);

  // Rebuilds the list (a new case).
  void setItems(const std::vector<DisplayItem>& items);
  // Shows one item's current display (after an edit, undo or redo).
  void showItem(std::size_t index, const DisplayItem& item);

  QTreeWidget* list() const { return list_; }
  QSlider* opacitySlider(std::size_t index) const;

 signals:
  // `continuing`: a later step of the same slider drag (merged into one undo step).
  void displayEdited(std::size_t index, const twinplan::ui::DisplayItem& item, bool continuing);

 private:
  void addRow(std::size_t index, const DisplayItem& item);
  void chooseColour(std::size_t index);

  QTreeWidget* list_ = nullptr;
  std::vector<DisplayItem> shown_;  // each row as last shown
  std::vector<QSlider*> sliders_;   // nullptr for rows without opacity
};

}  // namespace twinplan::ui
