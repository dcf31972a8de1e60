// The window a CT opens in (rendering/initial_window.h): brain (W 80 / L 40) for a head,
// soft tissue (W 400 / L 40) otherwise; Body Part Examined first, then the descriptions.
#include <gtest/gtest.h>

#include "twinplan/rendering/initial_window.h"

namespace twinplan::rendering {
namespace {

DicomInfo ct(std::string bodyPart, std::string series, std::string study) {
  DicomInfo dicom;
  dicom.modality = "CT";
  dicom.bodyPartExamined = std::move(bodyPart);
  dicom.seriesDescription = std::move(series);
  dicom.studyDescription = std::move(study);
  return dicom;
}

TEST(InitialWindow, BrainWindowIs80Over40AndSoftTissue400Over40) {
  const WindowLevel brain = initialCtWindow(ct("HEAD", "", ""));
  EXPECT_EQ(brain.window, 80.0);
  EXPECT_EQ(brain.level, 40.0);
  const WindowLevel soft = initialCtWindow(ct("ABDOMEN", "", ""));
  EXPECT_EQ(soft.window, 400.0);
  EXPECT_EQ(soft.level, 40.0);
}

TEST(InitialWindow, BodyPartDecidesWhenPresent) {
  EXPECT_TRUE(isHeadCt(ct("BRAIN", "", "")));
  EXPECT_TRUE(isHeadCt(ct("SKULL", "", "")));
  EXPECT_FALSE(isHeadCt(ct("HEADNECK", "", "")));  // PS3.16 CID 4031: head and neck
  EXPECT_FALSE(isHeadCt(ct("CHEST", "Brain perfusion?", "")));
}

// The trial's case: no Body Part Examined, the head named only in the descriptions.
TEST(InitialWindow, DescriptionsDecideWhenBodyPartIsMissing) {
  for (const char* text :
       {"Brain 5mm", "CT HEAD W/O CONTRAST", "Cerebrum axial", "CerebralCT", "Cranial CT",
        "HeadSeq 4.0 H31s", "Kopf nativ", "CCT nativ", "Schädel axial", "SCHAEDEL", "Crâne",
        "CRANE SANS INJECTION", "Tête", "Cerveau", "Encéphale"}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(isHeadCt(ct("", text, "")));
    EXPECT_TRUE(isHeadCt(ct("", "Axial 2.0", text)));  // or the study's description
  }
}

TEST(InitialWindow, OtherStudiesAndHeadAndNeckOpenInSoftTissue) {
  for (const char* text : {"Abdomen portal venous", "Thorax", "Head & Neck angio", "HALS KOPF",
                           "Tete et cou", "ACCT", "Bracket", ""}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(isHeadCt(ct("", text, text)));
  }
}

}  // namespace
}  // namespace twinplan::rendering
