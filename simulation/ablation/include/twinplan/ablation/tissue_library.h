#pragma once
// The tissue table (resources/tissues/tissues.json), the HU classes for voxels outside any
// tissue-typed segment (hu_classes.json) and the vessel flow model (vessel_flow.json), as the
// ablation physics reads them (issue #17 item 1). Every numeric value in the files carries a
// source; the loaders refuse a file with a missing or non-numeric value, naming the tissue and
// the field. docs/validation.md ("Thermal ablation: tissue data") lists the table.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/ablation/tissue_properties.h"

namespace twinplan::ablation {

class TissueLibrary {
 public:
  TissueLibrary() = default;
  TissueLibrary(std::vector<TissueProperties> tissues, std::map<std::string, std::string> aliases);

  const std::vector<TissueProperties>& tissues() const { return tissues_; }
  const std::map<std::string, std::string>& aliases() const { return aliases_; }
  // The tissue a segment's tissue type names (its own key or an alias: "vessel" -> blood), or
  // nullptr when the table does not know it.
  const TissueProperties* find(std::string_view tissueType) const;
  // Like find(), but throws Error(NotFound) naming the key and the known keys.
  const TissueProperties& at(std::string_view tissueType) const;

 private:
  std::vector<TissueProperties> tissues_;
  std::map<std::string, std::string> aliases_;
};

// Parses a tissue table in the format of resources/tissues/tissues.json. `source` names the
// file in error messages. Throws Error(Corrupt) naming the tissue and the field.
TissueLibrary parseTissueLibrary(std::string_view jsonText, std::string_view source);
// The table compiled into the program (parsed once).
const TissueLibrary& tissueLibrary();

// One CT-number range [low_HU, high_HU) and the tissue key of its voxels.
struct HuClass {
  std::string tissue;
  double low_HU = 0.0, high_HU = 0.0;  // -inf / +inf for the open ends
};

class HuClassification {
 public:
  HuClassification() = default;
  explicit HuClassification(std::vector<HuClass> classes);  // sorted, contiguous, checked
  const std::vector<HuClass>& classes() const { return classes_; }
  // The class a CT number falls in (the classes cover every value).
  const HuClass& classify(double ct_HU) const;

 private:
  std::vector<HuClass> classes_;
};

// Parses hu_classes.json: the classes must be contiguous, start at -inf (null) and end at +inf
// (null). Throws Error(Corrupt) saying which class is wrong.
HuClassification parseHuClassification(std::string_view jsonText, std::string_view source);
const HuClassification& huClassification();

// Mean blood speed in a vessel of a given radius: referenceSpeed * (radius / referenceRadius)^
// exponent (Murray's law gives exponent 1; resources/tissues/vessel_flow.json).
struct VesselFlowModel {
  double referenceSpeed_m_s = 0.196;
  double referenceRadius_mm = 6.0;
  double exponent = 1.0;
  double speed_m_s(double radius_mm) const;
};
VesselFlowModel parseVesselFlowModel(std::string_view jsonText, std::string_view source);
const VesselFlowModel& vesselFlowModel();

}  // namespace twinplan::ablation
