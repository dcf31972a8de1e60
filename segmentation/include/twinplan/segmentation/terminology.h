#pragma once
// A small catalogue of what a segment can be, for the Segments table's terminology picker and
// its tissue-type column (issue #16 item 3): DICOM coded concepts (Segmented Property Category
// and Type, PS3.3 C.8.20.2) with the tissue key the simulations' property tables use.
//
// Sources, each code checked against them (docs/validation.md, "Segment terminology"):
// - categories: DICOM PS3.16 CID 7150 "Segmentation Property Category" (Tissue 85756007, Body
//   Substance 91720002, Morphologically Abnormal Structure 49755003, Physical Object
//   260787004); "Anatomical Structure" is 123037004 as 3D Slicer's DICOM terminology list and
//   our presets (presets.cpp) write it (newer PS3.16 editions list 91723000);
// - tissues: PS3.16 CID 7166 "Common Tissue Segmentation Type";
// - anatomy: the SNOMED CT body structures of AAPM TG-263 / mCODE radiotherapy treatment
//   locations (which DICOM CID 7151 includes through its anatomic sub-groups);
// - lesions and tumours: PS3.16 CID 7159 "Lesion Segmentation Type";
// - the presets' own codes (body, bone, lungs, vessels, liver, brain) as presets.cpp writes them.
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/label_map.h"

namespace twinplan::segmentation {

struct TerminologyEntry {
  SegmentTerminology terminology;  // category and type (no anatomic region)
  std::string tissueType;          // the tissue key it implies ("" when none does)
};

// Every entry, categories grouped, types in alphabetical order within each.
const std::vector<TerminologyEntry>& terminologyCatalogue();

// The entries whose type or category meaning contains `text` (case-insensitive), or whose
// code value equals it; all entries for an empty text.
std::vector<TerminologyEntry> searchTerminology(std::string_view text);

// The entry with this type code (scheme and value), or nullptr.
const TerminologyEntry* findTerminology(const CodedConcept& type);

// The tissue keys the simulations' property tables know (label_map.h Segment::tissueType), in
// alphabetical order: those of the presets and of the phantoms' anatomy.
const std::vector<std::string>& knownTissueTypes();

}  // namespace twinplan::segmentation
