#include "twinplan/core/label_map.h"

#include <algorithm>

#include "twinplan/core/error.h"

namespace twinplan {

LabelMap::LabelMap(ImageGeometry geometry) : geometry_(geometry) { addLayer(); }

int LabelMap::addLayer() {
  layers_.push_back(std::make_shared<std::vector<std::uint16_t>>(geometry_.voxelCount(), 0));
  return layerCount() - 1;
}

namespace {
void requireLayer(int index, int count) {
  if (index < 0 || index >= count) {
    throw Error(ErrorKind::Internal, "Label layer " + std::to_string(index) + " does not exist.");
  }
}
}  // namespace

std::vector<std::uint16_t>& LabelMap::layer(int index) {
  requireLayer(index, layerCount());
  auto& shared = layers_[static_cast<std::size_t>(index)];
  if (shared.use_count() > 1) shared = std::make_shared<std::vector<std::uint16_t>>(*shared);
  return *shared;
}

const std::vector<std::uint16_t>& LabelMap::layer(int index) const {
  requireLayer(index, layerCount());
  return *layers_[static_cast<std::size_t>(index)];
}

std::size_t LabelMap::addSegment(Segment segment) {
  if (segment.value == 0) {
    throw Error(ErrorKind::InvalidInput, "Segment '" + segment.name + "' cannot use label 0.");
  }
  while (segment.layer >= layerCount()) addLayer();
  segments_.push_back(std::move(segment));
  return segments_.size() - 1;
}

std::optional<std::size_t> LabelMap::findSegment(const std::string& segmentName) const {
  auto it = std::find_if(segments_.begin(), segments_.end(),
                         [&](const Segment& s) { return s.name == segmentName; });
  if (it == segments_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - segments_.begin());
}

bool LabelMap::contains(std::size_t segment, std::int64_t i, std::int64_t j, std::int64_t k) const {
  const Segment& s = segments_.at(segment);
  return layer(s.layer)[geometry_.linearIndex(i, j, k)] == s.value;
}

std::size_t LabelMap::voxelCount(std::size_t segment) const {
  const Segment& s = segments_.at(segment);
  const auto& labels = layer(s.layer);
  return static_cast<std::size_t>(std::count(labels.begin(), labels.end(), s.value));
}

double LabelMap::volume_ml(std::size_t segment) const {
  const double voxel_mm3 = geometry_.spacing_mm.prod();
  return static_cast<double>(voxelCount(segment)) * voxel_mm3 / 1000.0;
}

}  // namespace twinplan
