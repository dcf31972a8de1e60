#pragma once
// The case's 3D models (surface meshes) in a list: show or hide each, change its colour, and
// its opacity, as a surgeon does to see a tumour and vessels inside a see-through liver.
// The panel only reports what the user asked for; the document applies it (undoably) and the
// panel then shows the result.
#include <QWidget>
#include <cstddef>
#include <vector>

#include "twinplan/core/mesh.h"

class QTreeWidget;
class QTreeWidgetItem;
class QSlider;

namespace twinplan::ui {

class ModelsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ModelsPanel(QWidget* parent = nullptr);

  // Rebuilds the list (a new case).
  void setMeshes(const std::vector<SurfaceMesh>& meshes);
  // Shows one mesh's current display (after an edit, undo or redo).
  void showMesh(std::size_t index, const SurfaceMesh& mesh);

  QTreeWidget* list() const { return list_; }
  QSlider* opacitySlider(std::size_t index) const;

 signals:
  // `continuing`: a later step of the same slider drag (merged into one undo step).
  void displayEdited(std::size_t index, twinplan::Rgb colour, float opacity, bool visible,
                     bool continuing);

 private:
  void addRow(std::size_t index, const SurfaceMesh& mesh);
  void chooseColour(std::size_t index);
  void emitEdit(std::size_t index, bool continuing);

  struct Shown {
    Rgb colour;
    float opacity = 1.0f;
    bool visible = true;
  };
  QTreeWidget* list_ = nullptr;
  std::vector<Shown> shown_;  // each row's display as last shown
  std::vector<QSlider*> sliders_;
};

}  // namespace twinplan::ui
