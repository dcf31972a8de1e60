#include "twinplan/core/case_edit.h"

#include <algorithm>
#include <utility>

#include "result_ids.h"
#include "twinplan/core/error.h"

namespace twinplan {

const char* toString(CasePart part) {
  switch (part) {
    case CasePart::Whole:
      return "case";
    case CasePart::Volumes:
      return "volumes";
    case CasePart::LabelMaps:
      return "labelMaps";
    case CasePart::Meshes:
      return "meshes";
    case CasePart::TetMeshes:
      return "tetMeshes";
    case CasePart::Fields:
      return "fields";
    case CasePart::Plans:
      return "plans";
    case CasePart::Measurements:
      return "measurements";
    case CasePart::Registrations:
      return "registrations";
    case CasePart::MeshDisplay:
      return "meshDisplay";
    case CasePart::SegmentDisplay:
      return "segmentDisplay";
    case CasePart::History:
      return "history";
  }
  return "case";
}

namespace {

// One list of a case replaced as a whole: the list before and after. Lists are small, and the
// voxel data inside them (label layers, volumes) is shared copy-on-write, so whole copies keep
// undo simple and exact.
template <typename T>
class ReplaceList final : public CaseEdit {
 public:
  using Member = std::vector<T> Case::*;
  ReplaceList(const Case& twin, Member member, CasePart part, std::vector<T> after,
              std::string text)
      : member_(member),
        part_(part),
        before_(twin.*member),
        after_(std::move(after)),
        text_(std::move(text)) {}
  std::string text() const override { return text_; }
  void apply(Case& twin) override { assign(twin, after_); }
  void revert(Case& twin) override { assign(twin, before_); }
  std::vector<CaseChange> changes() const override { return {{part_}}; }

 private:
  void assign(Case& twin, const std::vector<T>& list) const {
    std::vector<T> copy = list;  // may throw: the case is still untouched
    (twin.*member_).swap(copy);
  }
  Member member_;
  CasePart part_;
  std::vector<T> before_, after_;
  std::string text_;
};

template <typename T>
std::unique_ptr<CaseEdit> replaceList(const Case& twin, std::vector<T> Case::*member, CasePart part,
                                      std::vector<T> after, std::string text) {
  return std::make_unique<ReplaceList<T>>(twin, member, part, std::move(after), std::move(text));
}

void checkIndex(std::size_t index, std::size_t size, const char* what) {
  if (index >= size)
    throw Error(ErrorKind::InvalidInput,
                std::string("There is no ") + what + " number " + std::to_string(index + 1) +
                    "; the case has " + std::to_string(size) + ".",
                what);
}

// A change to how one mesh or segment is shown. Consecutive steps of one gesture on the same
// item merge, so one slider drag is one undo step.
class DisplayEdit final : public CaseEdit {
 public:
  DisplayEdit(const Case& twin, DisplayedItem what, std::size_t index, std::size_t labelMap,
              const DisplayProperties& after, bool continuing)
      : what_(what),
        index_(index),
        labelMap_(labelMap),
        before_(edits::displayOf(twin, what, index, labelMap)),
        after_(after),
        continuing_(continuing),
        name_(what == DisplayedItem::Mesh ? twin.meshes[index].name
                                          : twin.labelMaps[labelMap].segments()[index].name) {}
  std::string text() const override { return "Change the display of " + name_; }
  void apply(Case& twin) override { set(twin, after_); }
  void revert(Case& twin) override { set(twin, before_); }
  std::vector<CaseChange> changes() const override {
    return {{what_ == DisplayedItem::Mesh ? CasePart::MeshDisplay : CasePart::SegmentDisplay,
             index_, labelMap_}};
  }
  bool mergeWith(const CaseEdit& next) override {
    const auto* display = dynamic_cast<const DisplayEdit*>(&next);
    if (!display || !display->continuing_ || display->what_ != what_ || display->index_ != index_ ||
        display->labelMap_ != labelMap_)
      return false;
    after_ = display->after_;
    return true;
  }

 private:
  void set(Case& twin, const DisplayProperties& display) const {
    if (what_ == DisplayedItem::Mesh) {
      SurfaceMesh& mesh = twin.meshes[index_];
      mesh.colour = display.colour;
      mesh.opacity = std::clamp(display.opacity, 0.0f, 1.0f);
      mesh.visible = display.visible;
    } else {
      Segment& segment = twin.labelMaps[labelMap_].segments()[index_];
      segment.colour = display.colour;
      segment.visible = display.visible;
    }
  }
  DisplayedItem what_;
  std::size_t index_, labelMap_;
  DisplayProperties before_, after_;
  bool continuing_;
  std::string name_;
};

// The series of a case changed together: volumes, their file references and the registrations
// between them, so that undoing "Remove MR" brings its registration back too.
class SeriesEdit final : public CaseEdit {
 public:
  struct Lists {
    std::vector<ImageVolume> volumes;
    std::vector<SeriesReference> series;
    std::vector<Registration> registrations;
  };
  SeriesEdit(const Case& twin, Lists after, std::string text)
      : before_{twin.volumes, twin.series, twin.registrations},
        after_(std::move(after)),
        text_(std::move(text)) {}
  std::string text() const override { return text_; }
  void apply(Case& twin) override { assign(twin, after_); }
  void revert(Case& twin) override { assign(twin, before_); }
  std::vector<CaseChange> changes() const override {
    return {{CasePart::Volumes}, {CasePart::Registrations}};
  }

 private:
  static void assign(Case& twin, const Lists& lists) {
    Lists copy = lists;  // may throw: the case is still untouched
    twin.volumes.swap(copy.volumes);
    twin.series.swap(copy.series);
    twin.registrations.swap(copy.registrations);
  }
  Lists before_, after_;
  std::string text_;
};

std::string unusedVolumeName(const Case& twin, const std::string& wanted) {
  const std::string base = wanted.empty() ? std::string("Series") : wanted;
  std::string name = base;
  for (int n = 2; findVolume(twin, name); ++n) name = base + " " + std::to_string(n);
  return name;
}

}  // namespace

namespace edits {

std::unique_ptr<CaseEdit> addMeasurement(const Case& twin, Measurement measurement) {
  auto after = twin.measurements;
  std::string text = "Add " + measurement.name;
  after.push_back(std::move(measurement));
  return replaceList(twin, &Case::measurements, CasePart::Measurements, std::move(after),
                     std::move(text));
}

std::unique_ptr<CaseEdit> removeMeasurement(const Case& twin, std::size_t index) {
  checkIndex(index, twin.measurements.size(), "measurement");
  auto after = twin.measurements;
  std::string text = "Delete " + after[index].name;
  after.erase(after.begin() + static_cast<std::ptrdiff_t>(index));
  return replaceList(twin, &Case::measurements, CasePart::Measurements, std::move(after),
                     std::move(text));
}

std::unique_ptr<CaseEdit> replaceMeasurement(const Case& twin, std::size_t index,
                                             Measurement measurement) {
  checkIndex(index, twin.measurements.size(), "measurement");
  auto after = twin.measurements;
  std::string text = "Edit " + measurement.name;
  after[index] = std::move(measurement);
  return replaceList(twin, &Case::measurements, CasePart::Measurements, std::move(after),
                     std::move(text));
}

DisplayProperties displayOf(const Case& twin, DisplayedItem what, std::size_t index,
                            std::size_t labelMap) {
  if (what == DisplayedItem::Mesh) {
    checkIndex(index, twin.meshes.size(), "mesh");
    const SurfaceMesh& mesh = twin.meshes[index];
    return {mesh.colour, mesh.opacity, mesh.visible};
  }
  checkIndex(labelMap, twin.labelMaps.size(), "label map");
  checkIndex(index, twin.labelMaps[labelMap].segments().size(), "segment");
  const Segment& segment = twin.labelMaps[labelMap].segments()[index];
  return {segment.colour, 1.0f, segment.visible};
}

std::unique_ptr<CaseEdit> setDisplay(const Case& twin, DisplayedItem what, std::size_t index,
                                     const DisplayProperties& display, bool continuing,
                                     std::size_t labelMap) {
  displayOf(twin, what, index, labelMap);  // checks that the item exists
  return std::make_unique<DisplayEdit>(twin, what, index, labelMap, display, continuing);
}

std::unique_ptr<CaseEdit> updateSegmentMeshes(const Case& twin, std::vector<SurfaceMesh> built,
                                              std::string text) {
  std::vector<SurfaceMesh> meshes = twin.meshes;
  for (SurfaceMesh& mesh : built) {
    auto same = std::find_if(meshes.begin(), meshes.end(), [&](const SurfaceMesh& m) {
      return !m.segmentName.empty() && m.segmentName == mesh.segmentName;
    });
    if (same == meshes.end()) {
      meshes.push_back(std::move(mesh));
      continue;
    }
    // The new surface keeps how the user chose to show the old one.
    mesh.colour = same->colour;
    mesh.opacity = same->opacity;
    mesh.visible = same->visible;
    *same = std::move(mesh);
  }
  return replaceList(twin, &Case::meshes, CasePart::Meshes, std::move(meshes), std::move(text));
}

std::unique_ptr<CaseEdit> replaceLabelMaps(const Case& twin, std::vector<LabelMap> labelMaps,
                                           std::string text) {
  return replaceList(twin, &Case::labelMaps, CasePart::LabelMaps, std::move(labelMaps),
                     std::move(text));
}

std::unique_ptr<CaseEdit> addPlan(const Case& twin, Plan plan) {
  auto after = twin.plans;
  std::string text = "Add plan " + plan.name;
  after.push_back(std::move(plan));
  return replaceList(twin, &Case::plans, CasePart::Plans, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> replacePlan(const Case& twin, std::size_t index, Plan plan) {
  checkIndex(index, twin.plans.size(), "plan");
  auto after = twin.plans;
  std::string text = "Edit plan " + plan.name;
  after[index] = std::move(plan);
  return replaceList(twin, &Case::plans, CasePart::Plans, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> removePlan(const Case& twin, std::size_t index) {
  checkIndex(index, twin.plans.size(), "plan");
  auto after = twin.plans;
  std::string text = "Delete plan " + after[index].name;
  after.erase(after.begin() + static_cast<std::ptrdiff_t>(index));
  return replaceList(twin, &Case::plans, CasePart::Plans, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> storeResult(const Case& twin, ScalarField field) {
  if (field.values.size() != field.geometry.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The result \"" + field.name + "\" has " + std::to_string(field.values.size()) +
                    " values for a grid of " + std::to_string(field.geometry.voxelCount()) +
                    " voxels.",
                field.name);
  auto after = twin.fields;
  std::string text = "Store result " + field.name;
  placeResult(after, std::move(field));
  return replaceList(twin, &Case::fields, CasePart::Fields, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> renameResult(const Case& twin, std::size_t index, std::string name) {
  checkIndex(index, twin.fields.size(), "result");
  if (name.empty())
    throw Error(ErrorKind::InvalidInput,
                "A result needs a name; \"" + twin.fields[index].name + "\" keeps its own.",
                twin.fields[index].id);
  auto after = twin.fields;
  std::string text = "Rename result " + after[index].name + " to " + name;
  after[index].name = std::move(name);
  return replaceList(twin, &Case::fields, CasePart::Fields, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> removeResult(const Case& twin, std::size_t index) {
  checkIndex(index, twin.fields.size(), "result");
  auto after = twin.fields;
  std::string text = "Delete result " + after[index].name;
  after.erase(after.begin() + static_cast<std::ptrdiff_t>(index));
  return replaceList(twin, &Case::fields, CasePart::Fields, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> addSeries(const Case& twin, ImageVolume volume,
                                    std::optional<SeriesReference> reference) {
  if (volume.empty())
    throw Error(ErrorKind::InvalidInput, "The series \"" + volume.name + "\" has no voxels.",
                volume.name);
  volume.name = unusedVolumeName(twin, volume.name);
  SeriesEdit::Lists after{twin.volumes, twin.series, twin.registrations};
  std::string text = "Add series " + volume.name;
  after.volumes.push_back(std::move(volume));
  if (reference) after.series.push_back(std::move(*reference));
  return std::make_unique<SeriesEdit>(twin, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> removeSeries(const Case& twin, std::size_t index) {
  checkIndex(index, twin.volumes.size(), "series");
  SeriesEdit::Lists after{twin.volumes, twin.series, twin.registrations};
  const ImageVolume removed = after.volumes[index];
  after.volumes.erase(after.volumes.begin() + static_cast<std::ptrdiff_t>(index));
  const std::string& uid = removed.dicom.seriesInstanceUid;
  if (!uid.empty())
    std::erase_if(after.series,
                  [&](const SeriesReference& s) { return s.seriesInstanceUid == uid; });
  std::erase_if(after.registrations, [&](const Registration& r) {
    return r.fixedVolume == removed.name || r.movingVolume == removed.name;
  });
  return std::make_unique<SeriesEdit>(twin, std::move(after), "Remove series " + removed.name);
}

std::unique_ptr<CaseEdit> setRegistration(const Case& twin, Registration registration) {
  for (const std::string* name : {&registration.fixedVolume, &registration.movingVolume})
    if (!findVolume(twin, *name))
      throw Error(
          ErrorKind::InvalidInput,
          "The registration names the series \"" + *name + "\", which the case does not have.",
          *name);
  if (registration.fixedVolume == registration.movingVolume)
    throw Error(ErrorKind::InvalidInput, "A series cannot be registered to itself.",
                registration.fixedVolume);
  auto after = twin.registrations;
  std::string text = "Register " + registration.movingVolume + " to " + registration.fixedVolume;
  std::erase_if(after, [&](const Registration& r) {
    return (r.fixedVolume == registration.fixedVolume &&
            r.movingVolume == registration.movingVolume) ||
           (r.fixedVolume == registration.movingVolume &&
            r.movingVolume == registration.fixedVolume);
  });
  after.push_back(std::move(registration));
  return replaceList(twin, &Case::registrations, CasePart::Registrations, std::move(after),
                     std::move(text));
}

std::unique_ptr<CaseEdit> removeRegistration(const Case& twin, std::size_t index) {
  checkIndex(index, twin.registrations.size(), "registration");
  auto after = twin.registrations;
  std::string text =
      "Delete registration of " + after[index].movingVolume + " to " + after[index].fixedVolume;
  after.erase(after.begin() + static_cast<std::ptrdiff_t>(index));
  return replaceList(twin, &Case::registrations, CasePart::Registrations, std::move(after),
                     std::move(text));
}

}  // namespace edits
}  // namespace twinplan
