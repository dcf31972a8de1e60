#pragma once
// Segments of a patient's anatomy on an image grid.
//
// Overlapping segments (a tumour inside the liver) live in separate layers: each layer is a
// uint16 label image on the same grid, and each segment is one (layer, value) pair. Within a
// layer segments are exclusive. See docs/architecture.md.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"

namespace twinplan {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

// A coded concept as DICOM writes one (PS3.3 8.8, Code Sequence Macro): Code Value, Coding
// Scheme Designator ("SCT" for SNOMED CT, "DCM"), Code Meaning.
struct CodedConcept {
  std::string value, scheme, meaning;
  bool empty() const { return value.empty(); }
  bool operator==(const CodedConcept&) const = default;
};

// What a segment is, in the terms DICOM SEG and RTSTRUCT exchange (PS3.3 C.8.20.2: Segmented
// Property Category and Type; PS3.16 CID 7150/7151), e.g. category (SCT 123037004 "Anatomical
// Structure"), type (SCT 10200004 "Liver"). Empty when nobody coded it.
struct SegmentTerminology {
  CodedConcept category, type;
  CodedConcept anatomicRegion;  // optional (PS3.3 C.8.20.2, Anatomic Region Sequence)
  bool operator==(const SegmentTerminology&) const = default;
};

struct Segment {
  std::string name;        // "Liver", "Tumour 1"
  std::string tissueType;  // key into resources/tissues ("liver", "tumour", "bone" ...)
  Rgb colour;
  int layer = 0;
  std::uint16_t value = 1;  // label value inside its layer
  bool visible = true;
  bool locked = false;
  SegmentTerminology terminology;
  bool operator==(const Segment&) const = default;
};

class LabelMap {
 public:
  LabelMap() = default;
  explicit LabelMap(ImageGeometry geometry);  // one empty layer

  const ImageGeometry& geometry() const { return geometry_; }
  int layerCount() const { return static_cast<int>(layers_.size()); }
  int addLayer();  // returns its index
  // Mutable access makes this copy's layer its own first (see ImageVolume::bytes()).
  std::vector<std::uint16_t>& layer(int index);
  const std::vector<std::uint16_t>& layer(int index) const;

  std::vector<Segment>& segments() { return segments_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // Adds a segment in the first layer where `value` is unused; returns its index.
  std::size_t addSegment(Segment segment);
  std::optional<std::size_t> findSegment(const std::string& name) const;

  bool contains(std::size_t segment, std::int64_t i, std::int64_t j, std::int64_t k) const;
  std::size_t voxelCount(std::size_t segment) const;
  double volume_ml(std::size_t segment) const;

  std::string name;

 private:
  ImageGeometry geometry_;
  // Shared between copies until written, like ImageVolume's voxels (copy-on-write).
  std::vector<std::shared_ptr<std::vector<std::uint16_t>>> layers_;
  std::vector<Segment> segments_;
};

}  // namespace twinplan
