#pragma once
// Private to io: writing derived DICOM objects (RTSTRUCT, SEG) with DCMTK's dcmdata, so that
// every failure names the attribute and DCMTK's reason.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"

namespace twinplan::io::detail {

class ItemWriter {
 public:
  // `object` names what is being written in errors, e.g. "RTSTRUCT /tmp/rs.dcm".
  ItemWriter(DcmItem& item, std::string object) : item_(item), object_(std::move(object)) {}
  void text(const DcmTagKey& tag, const std::string& value);
  void u16(const DcmTagKey& tag, Uint16 value);
  void u16s(const DcmTagKey& tag, const std::vector<Uint16>& values);
  void bytes(const DcmTagKey& tag, const std::vector<Uint8>& values);  // OB
  void tagKey(const DcmTagKey& tag, const DcmTagKey& value);           // AT
  void u32s(const DcmTagKey& tag, const std::vector<Uint32>& values);  // UL
  // A new item appended to sequence `tag` (created when missing).
  ItemWriter append(const DcmTagKey& tag);
  // A coded concept (PS3.3 8.8) as the one item of sequence `tag`.
  void code(const DcmTagKey& tag, const CodedConcept& coded);
  DcmItem& item() { return item_; }

 private:
  void check(const OFCondition& condition, const DcmTagKey& tag, const std::string& value) const;
  DcmItem& item_;
  std::string object_;
};

// Patient and General Study attributes of `dicom` (PS3.3 C.7.1.1, C.7.2.1).
void writePatientAndStudy(ItemWriter& w, const DicomInfo& dicom);
// Patient, General Study, RT Series (C.8.8.1), Frame of Reference (C.7.4.1), General Equipment
// and SOP Common of an RT object in a new series: returns its SOP Instance UID, `sopInstanceUid`
// when given (an object that already has its identity, e.g. a plan made in a case), else a new one.
std::string writeRtObjectHeader(ItemWriter& w, const DicomInfo& dicom, const char* sopClassUid,
                                const char* modality, const std::string& seriesDescription,
                                const std::string& sopInstanceUid = {});
// DICOM DA and TM of now (local time).
std::string dicomDate();
std::string dicomTime();
// A decimal string (DS) of at most 16 characters for a coordinate in mm.
std::string decimalString(double value);
// Saves under a temporary name and renames into place; Error(Io) with DCMTK's reason.
// RTSTRUCT is written implicit VR (a long Contour Data overflows explicit VR's 16-bit length).
void saveAtomically(DcmFileFormat& file, const std::filesystem::path& path,
                    E_TransferSyntax syntax);

}  // namespace twinplan::io::detail
