#include "twinplan/ui/case_document.h"

#include <QThreadPool>
#include <QUndoCommand>
#include <algorithm>
#include <memory>
#include <utility>

#include "twinplan/core/error.h"

namespace twinplan::ui {

// One command type for every measurement edit: it stores the list before and after. Lists
// are small (tens of entries), so whole copies keep undo simple and exact.
class MeasurementCommand : public QUndoCommand {
 public:
  MeasurementCommand(CaseDocument& document, std::vector<Measurement> after, const QString& text)
      : QUndoCommand(text),
        document_(document),
        before_(document.twin().measurements),
        after_(std::move(after)) {}
  void redo() override { document_.setMeasurements(after_); }
  void undo() override { document_.setMeasurements(before_); }

 private:
  CaseDocument& document_;
  std::vector<Measurement> before_, after_;
};

// A change to how one mesh or segment is shown. Consecutive slider steps on the same item
// merge, so one drag is one undo step.
class DisplayCommand : public QUndoCommand {
 public:
  using Shown = CaseDocument::Shown;
  DisplayCommand(CaseDocument& document, Shown what, std::size_t index,
                 const CaseDocument::Display& after, bool continuing)
      : QUndoCommand(QObject::tr("Change the display of %1").arg(nameOf(document, what, index))),
        document_(document),
        what_(what),
        index_(index),
        before_(document.display(what, index)),
        after_(after),
        continuing_(continuing) {}
  int id() const override { return 1; }
  bool mergeWith(const QUndoCommand* other) override {
    const auto* next = static_cast<const DisplayCommand*>(other);
    if (!next->continuing_ || next->what_ != what_ || next->index_ != index_) return false;
    after_ = next->after_;
    return true;
  }
  void redo() override { document_.applyDisplay(what_, index_, after_); }
  void undo() override { document_.applyDisplay(what_, index_, before_); }

 private:
  static QString nameOf(const CaseDocument& document, Shown what, std::size_t index) {
    const Case& twin = document.twin();
    return QString::fromStdString(what == Shown::Mesh
                                      ? twin.meshes[index].name
                                      : twin.labelMaps.front().segments()[index].name);
  }
  CaseDocument& document_;
  Shown what_;
  std::size_t index_;
  CaseDocument::Display before_, after_;
  bool continuing_;
};

// Meshes replaced as a whole (building models): the lists before and after.
class MeshesCommand : public QUndoCommand {
 public:
  MeshesCommand(CaseDocument& document, std::vector<SurfaceMesh> after)
      : QUndoCommand(QObject::tr("Build 3D models")),
        document_(document),
        before_(document.twin().meshes),
        after_(std::move(after)) {}
  void redo() override { document_.setMeshes(after_); }
  void undo() override { document_.setMeshes(before_); }

 private:
  CaseDocument& document_;
  std::vector<SurfaceMesh> before_, after_;
};

CaseDocument::CaseDocument(QObject* parent) : QObject(parent) {
  connect(&undoStack_, &QUndoStack::cleanChanged, this,
          [this](bool clean) { emit modifiedChanged(!clean); });
}

void CaseDocument::reset(Case twin, std::filesystem::path file) {
  auto previous = std::make_shared<Case>(std::exchange(case_, std::move(twin)));
  file_ = std::move(file);
  undoStack_.clear();
  undoStack_.setClean();
  ++revision_;
  autosaveRevision_ = revision_;
  emit caseReplaced();
  emit measurementsChanged();
  // Handing a 300 MB volume back to the system takes tens of milliseconds: not on the GUI
  // thread. The views were re-pointed to the new case above.
  QThreadPool::globalInstance()->start([previous]() mutable { previous.reset(); });
}

void CaseDocument::markSaved(const std::filesystem::path& file) {
  file_ = file;
  undoStack_.setClean();
}

void CaseDocument::setMeasurements(std::vector<Measurement> measurements) {
  case_.measurements = std::move(measurements);
  ++revision_;
  emit measurementsChanged();
}

void CaseDocument::addMeasurement(Measurement measurement) {
  auto after = case_.measurements;
  const QString text = tr("Add %1").arg(QString::fromStdString(measurement.name));
  after.push_back(std::move(measurement));
  undoStack_.push(new MeasurementCommand(*this, std::move(after), text));
}

void CaseDocument::removeMeasurement(std::size_t index) {
  if (index >= case_.measurements.size()) return;
  auto after = case_.measurements;
  const QString text = tr("Delete %1").arg(QString::fromStdString(after[index].name));
  after.erase(after.begin() + static_cast<std::ptrdiff_t>(index));
  undoStack_.push(new MeasurementCommand(*this, std::move(after), text));
}

void CaseDocument::replaceMeasurement(std::size_t index, Measurement measurement) {
  if (index >= case_.measurements.size()) return;
  auto after = case_.measurements;
  const QString text = tr("Edit %1").arg(QString::fromStdString(measurement.name));
  after[index] = std::move(measurement);
  undoStack_.push(new MeasurementCommand(*this, std::move(after), text));
}

std::string CaseDocument::nextMeasurementName(Measurement::Kind kind) const {
  static const char* const kNames[] = {"Point", "Ruler", "Angle", "Box ROI", "Ellipse ROI"};
  const std::string base = kNames[static_cast<int>(kind)];
  for (int n = 1;; ++n) {
    const std::string name = base + " " + std::to_string(n);
    bool used = false;
    for (const auto& m : case_.measurements) used = used || m.name == name;
    if (!used) return name;
  }
}

CaseDocument::Display CaseDocument::display(Shown what, std::size_t index) const {
  if (what == Shown::Mesh) {
    if (index >= case_.meshes.size())
      throw Error(ErrorKind::InvalidInput, "There is no mesh " + std::to_string(index) + ".",
                  "case meshes");
    const SurfaceMesh& mesh = case_.meshes[index];
    return {mesh.colour, mesh.opacity, mesh.visible};
  }
  if (case_.labelMaps.empty() || index >= case_.labelMaps.front().segments().size())
    throw Error(ErrorKind::InvalidInput, "There is no segment " + std::to_string(index) + ".",
                "case segments");
  const Segment& segment = case_.labelMaps.front().segments()[index];
  return {segment.colour, 1.0f, segment.visible};
}

void CaseDocument::setDisplay(Shown what, std::size_t index, const Display& display,
                              bool continuing) {
  if (this->display(what, index) == display) return;
  undoStack_.push(new DisplayCommand(*this, what, index, display, continuing));
}

void CaseDocument::applyDisplay(Shown what, std::size_t index, const Display& display) {
  if (what == Shown::Mesh) {
    SurfaceMesh& mesh = case_.meshes[index];
    mesh.colour = display.colour;
    mesh.opacity = std::clamp(display.opacity, 0.0f, 1.0f);
    mesh.visible = display.visible;
  } else {
    Segment& segment = case_.labelMaps.front().segments()[index];
    segment.colour = display.colour;
    segment.visible = display.visible;
  }
  ++revision_;
  emit displayChanged(what, index);
}

void CaseDocument::updateSegmentMeshes(std::vector<SurfaceMesh> built) {
  std::vector<SurfaceMesh> meshes = case_.meshes;
  for (SurfaceMesh& mesh : built) {
    auto same = std::find_if(meshes.begin(), meshes.end(), [&](const SurfaceMesh& m) {
      return !m.segmentName.empty() && m.segmentName == mesh.segmentName;
    });
    if (same == meshes.end()) {
      meshes.push_back(std::move(mesh));
    } else {
      // The new surface keeps how the user chose to show the old one.
      mesh.colour = same->colour;
      mesh.opacity = same->opacity;
      mesh.visible = same->visible;
      *same = std::move(mesh);
    }
  }
  undoStack_.push(new MeshesCommand(*this, std::move(meshes)));
}

void CaseDocument::setMeshes(std::vector<SurfaceMesh> meshes) {
  case_.meshes = std::move(meshes);
  ++revision_;
  emit meshesChanged();
}

}  // namespace twinplan::ui
