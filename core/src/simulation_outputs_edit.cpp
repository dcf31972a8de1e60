#include "twinplan/core/simulation_outputs_edit.h"

#include <algorithm>
#include <array>
#include <set>
#include <type_traits>
#include <utility>

#include "result_ids.h"
#include "twinplan/core/error.h"

namespace twinplan {
namespace {

// The lists the step touches, whole (voxels and label layers are shared copy-on-write between
// the copies, as in case_edit.cpp's ReplaceList; fields and meshes are copied).
struct Lists {
  std::vector<ImageVolume> volumes;
  std::vector<LabelMap> labelMaps;
  std::vector<SurfaceMesh> meshes;
  std::vector<TetMesh> tetMeshes;
  std::vector<ScalarField> fields;
  std::vector<Plan> plans;
};

std::string keyOf(const ImageVolume& v) { return v.name; }
std::string keyOf(const LabelMap& l) { return l.name; }
std::string keyOf(const SurfaceMesh& m) { return m.name; }
std::string keyOf(const TetMesh& m) { return m.name; }
// A field with an id is that result (two may share a name); one without, its name.
std::string keyOf(const ScalarField& f) { return f.id.empty() ? f.name : "id " + f.id; }
std::string keyOf(const Plan& p) { return p.kind + "\n" + p.name; }

template <typename T>
void replaceOrAdd(std::vector<T>& list, std::vector<T>& items, const char* what) {
  std::set<std::string> seen;
  for (T& item : items) {
    const std::string key = keyOf(item);
    if (!seen.insert(key).second)
      throw Error(ErrorKind::InvalidInput,
                  std::string("Two ") + what + " of one result are both called \"" + key +
                      "\"; give each its own name.",
                  key);
    if constexpr (std::is_same_v<T, ScalarField>) {
      placeResult(list, std::move(item));  // by id, else by name; gives the id (result_ids.h)
    } else {
      auto same =
          std::find_if(list.begin(), list.end(), [&](const T& t) { return keyOf(t) == key; });
      if (same == list.end())
        list.push_back(std::move(item));
      else
        *same = std::move(item);
    }
  }
}

class StoreOutputs final : public CaseEdit {
 public:
  StoreOutputs(const Case& twin, SimulationOutputs out, std::string text) : text_(std::move(text)) {
    touched_ = {!out.volumes.empty(),   !out.labelMaps.empty(), !out.meshes.empty(),
                !out.tetMeshes.empty(), !out.fields.empty(),    !out.plans.empty()};
    before_ = {twin.volumes, twin.labelMaps, twin.meshes, twin.tetMeshes, twin.fields, twin.plans};
    after_ = before_;
    replaceOrAdd(after_.volumes, out.volumes, "volumes");
    replaceOrAdd(after_.labelMaps, out.labelMaps, "labelmaps");
    replaceOrAdd(after_.meshes, out.meshes, "3D models");
    replaceOrAdd(after_.tetMeshes, out.tetMeshes, "tetrahedral meshes");
    replaceOrAdd(after_.fields, out.fields, "fields");
    replaceOrAdd(after_.plans, out.plans, "plans");
  }
  std::string text() const override { return text_; }
  void apply(Case& twin) override { assign(twin, after_); }
  void revert(Case& twin) override { assign(twin, before_); }
  std::vector<CaseChange> changes() const override {
    static constexpr CasePart kParts[] = {CasePart::Volumes, CasePart::LabelMaps,
                                          CasePart::Meshes,  CasePart::TetMeshes,
                                          CasePart::Fields,  CasePart::Plans};
    std::vector<CaseChange> out;
    for (std::size_t p = 0; p < touched_.size(); ++p)
      if (touched_[p]) out.push_back({kParts[p]});
    return out;
  }

 private:
  // Copies first (may throw: the case is still untouched), then swaps (cannot throw). Only the
  // lists the step touches: a list swapped for its copy moves every element, and views that
  // borrow them are re-pointed only for the parts changes() reports.
  void assign(Case& twin, const Lists& lists) const {
    Lists copy;
    if (touched_[0]) copy.volumes = lists.volumes;
    if (touched_[1]) copy.labelMaps = lists.labelMaps;
    if (touched_[2]) copy.meshes = lists.meshes;
    if (touched_[3]) copy.tetMeshes = lists.tetMeshes;
    if (touched_[4]) copy.fields = lists.fields;
    if (touched_[5]) copy.plans = lists.plans;
    if (touched_[0]) twin.volumes.swap(copy.volumes);
    if (touched_[1]) twin.labelMaps.swap(copy.labelMaps);
    if (touched_[2]) twin.meshes.swap(copy.meshes);
    if (touched_[3]) twin.tetMeshes.swap(copy.tetMeshes);
    if (touched_[4]) twin.fields.swap(copy.fields);
    if (touched_[5]) twin.plans.swap(copy.plans);
  }
  std::array<bool, 6> touched_{};
  Lists before_, after_;
  std::string text_;
};

}  // namespace

namespace edits {

std::unique_ptr<CaseEdit> storeSimulationOutputs(const Case& twin, SimulationOutputs outputs,
                                                 std::string text) {
  if (outputs.empty())
    throw Error(ErrorKind::InvalidInput, "The simulation \"" + text + "\" has no outputs to store.",
                text);
  for (const ScalarField& f : outputs.fields)
    if (f.values.size() != f.geometry.voxelCount())
      throw Error(ErrorKind::InvalidInput,
                  "The result \"" + f.name + "\" has " + std::to_string(f.values.size()) +
                      " values for a grid of " + std::to_string(f.geometry.voxelCount()) +
                      " voxels.",
                  f.name);
  for (const ImageVolume& v : outputs.volumes)
    if (v.empty())
      throw Error(ErrorKind::InvalidInput, "The volume \"" + v.name + "\" has no voxels.", v.name);
  return std::make_unique<StoreOutputs>(twin, std::move(outputs), std::move(text));
}

}  // namespace edits
}  // namespace twinplan
