#include "twinplan/segmentation/terminology.h"

#include <algorithm>
#include <cctype>

namespace twinplan::segmentation {

namespace {

// PS3.16 CID 7150 categories (see terminology.h for the Anatomical Structure code).
const CodedConcept kAnatomy{"123037004", "SCT", "Anatomical Structure"};
const CodedConcept kTissue{"85756007", "SCT", "Tissue"};
const CodedConcept kSubstance{"91720002", "SCT", "Body Substance"};
const CodedConcept kAbnormal{"49755003", "SCT", "Morphologically Abnormal Structure"};

TerminologyEntry entry(const CodedConcept& category, const char* code, const char* meaning,
                       const char* tissue) {
  return {{category, {code, "SCT", meaning}, {}}, tissue};
}

std::vector<TerminologyEntry> buildCatalogue() {
  return {
      // Anatomy (SNOMED CT body structures, TG-263 / mCODE list; presets.cpp for liver,
      // lung, right and left lung, brain and the entire body).
      entry(kAnatomy, "15825003", "Aorta", "vessel"),
      entry(kAnatomy, "12738006", "Brain", "brain"),
      entry(kAnatomy, "15926001", "Brainstem", "brain"),
      entry(kAnatomy, "113305005", "Cerebellum", "brain"),
      entry(kAnatomy, "71854001", "Colon", "bowel"),
      entry(kAnatomy, "38266002", "Entire body", "body"),
      entry(kAnatomy, "32849002", "Esophagus", ""),
      entry(kAnatomy, "71341001", "Femur", "bone"),
      entry(kAnatomy, "28231008", "Gallbladder", ""),
      // Grey and white matter: DICOM PS3.16 CID 7153 "CNS Segmentation Type" (in CID 7151
      // through CID 7192) "Gray Matter" 389081007 and "White Matter" 389080008 (SNOMED CT "Gray
      // matter structure of central nervous system", "White matter structure of brain and
      // spinal cord"; white matter also in CID 7710 "Tractography Anatomic Site").
      entry(kAnatomy, "389081007", "Gray matter", "grey-matter"),
      entry(kAnatomy, "80891009", "Heart", ""),
      entry(kAnatomy, "113276009", "Intestine", "bowel"),
      entry(kAnatomy, "64033007", "Kidney", "kidney"),
      entry(kAnatomy, "10200004", "Liver", "liver"),
      entry(kAnatomy, "44029006", "Left lung", "lung"),
      entry(kAnatomy, "39607008", "Lung", "lung"),
      entry(kAnatomy, "91609006", "Mandible", "bone"),
      entry(kAnatomy, "18234004", "Optic nerve", ""),
      entry(kAnatomy, "15776009", "Pancreas", ""),
      entry(kAnatomy, "32764006", "Portal vein", "vessel"),
      entry(kAnatomy, "41216001", "Prostate", ""),
      entry(kAnatomy, "34402009", "Rectum", "bowel"),
      entry(kAnatomy, "113197003", "Rib", "bone"),
      entry(kAnatomy, "3341006", "Right lung", "lung"),
      entry(kAnatomy, "89546000", "Skull", "skull"),
      entry(kAnatomy, "30315005", "Small intestine", "bowel"),
      entry(kAnatomy, "61853006", "Spinal canal", "csf"),
      entry(kAnatomy, "2748008", "Spinal cord", ""),
      entry(kAnatomy, "78961009", "Spleen", "spleen"),
      entry(kAnatomy, "69695003", "Stomach", ""),
      entry(kAnatomy, "69748006", "Thyroid", ""),
      entry(kAnatomy, "44567001", "Trachea", ""),
      entry(kAnatomy, "89837001", "Urinary bladder", ""),
      entry(kAnatomy, "35532006", "Vena cava", "vessel"),
      entry(kAnatomy, "8997002", "Ventricular system of the brain", "csf"),
      entry(kAnatomy, "389080008", "White matter", "white-matter"),
      // Tissues (CID 7166; "Bone" 272673000 as presets.cpp and 3D Slicer write it).
      entry(kTissue, "51114001", "Artery", "vessel"),
      entry(kTissue, "87612001", "Blood", ""),
      entry(kTissue, "59820001", "Blood vessel", "vessel"),
      entry(kTissue, "272673000", "Bone", "bone"),
      entry(kTissue, "309312004", "Cartilage", "cartilage"),
      entry(kTissue, "21793004", "Connective tissue", ""),
      entry(kTissue, "55603005", "Fat", "fat"),
      entry(kTissue, "59441001", "Lymph node", ""),
      entry(kTissue, "91727004", "Muscle", "muscle"),
      entry(kTissue, "91728009", "Nerve", ""),
      entry(kTissue, "39937001", "Skin", "skin"),
      entry(kTissue, "87784001", "Soft tissue", ""),
      entry(kTissue, "71966008", "Subcutaneous tissue", "fat"),
      entry(kTissue, "13024002", "Tendon", ""),
      entry(kTissue, "29092000", "Vein", "vessel"),
      // Body substances (CID 7150 category; cerebrospinal fluid 65216001 is also in CID 7153).
      entry(kSubstance, "65216001", "Cerebrospinal fluid", "csf"),
      // Lesions and tumours (CID 7159).
      entry(kAbnormal, "44132006", "Abscess", ""),
      entry(kAbnormal, "367643001", "Cyst", ""),
      entry(kAbnormal, "79654002", "Edema", ""),
      entry(kAbnormal, "50960005", "Hemorrhage", ""),
      entry(kAbnormal, "52988006", "Lesion", "tumour"),
      entry(kAbnormal, "4147007", "Mass", "tumour"),
      entry(kAbnormal, "6574001", "Necrosis", ""),
      entry(kAbnormal, "108369006", "Neoplasm", "tumour"),
      entry(kAbnormal, "372087000", "Neoplasm, Primary", "tumour"),
      entry(kAbnormal, "14799000", "Neoplasm, Secondary", "tumour"),
      entry(kAbnormal, "27925004", "Nodule", "tumour"),
  };
}

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

const std::vector<TerminologyEntry>& terminologyCatalogue() {
  static const std::vector<TerminologyEntry> catalogue = buildCatalogue();
  return catalogue;
}

std::vector<TerminologyEntry> searchTerminology(std::string_view text) {
  const std::string wanted = lowered(text);
  std::vector<TerminologyEntry> found;
  for (const TerminologyEntry& e : terminologyCatalogue()) {
    const SegmentTerminology& t = e.terminology;
    if (wanted.empty() || lowered(t.type.meaning).find(wanted) != std::string::npos ||
        lowered(t.category.meaning).find(wanted) != std::string::npos || t.type.value == wanted)
      found.push_back(e);
  }
  return found;
}

const TerminologyEntry* findTerminology(const CodedConcept& type) {
  for (const TerminologyEntry& e : terminologyCatalogue())
    if (e.terminology.type.value == type.value && e.terminology.type.scheme == type.scheme)
      return &e;
  return nullptr;
}

const std::vector<std::string>& knownTissueTypes() {
  // presets.cpp (body, bone, lung, vessel, liver, brain) and phantom/src/abdomen.cpp, head.cpp.
  static const std::vector<std::string> keys = {
      "body", "bone",        "bowel",  "brain",  "cartilage", "csf",
      "fat",  "grey-matter", "kidney", "liver",  "lung",      "muscle",
      "skin", "skull",       "spleen", "tumour", "vessel",    "white-matter"};
  return keys;
}

}  // namespace twinplan::segmentation
