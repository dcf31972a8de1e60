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

// An MR has no calibrated unit: 1st..99th percentile of its voxels. Values 0..999 in a ramp
// (1,000 voxels each) put the percentiles at 10 and 990; a SUV PET
// opens in SUV 0-5 whatever its values.
TEST(InitialWindow, MrByPercentilesAndPetInSuv0To5) {
  ImageGeometry g;
  g.size = {100, 100, 100};
  ImageVolume mr(g, PixelType::Int16);
  mr.dicom.modality = "MR";
  auto voxels = mr.voxels<std::int16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n) voxels[n] = static_cast<std::int16_t>(n / 1000);
  const WindowLevel window = initialWindow(mr);
  EXPECT_NEAR(window.window, 980.0, 20.0);
  EXPECT_NEAR(window.level, 500.0, 10.0);

  ImageVolume pet(g, PixelType::Float32);
  pet.dicom.modality = "PT";
  pet.unit = "SUVbw";
  ASSERT_TRUE(isSuvPet(pet));
  EXPECT_DOUBLE_EQ(initialWindow(pet).window, 5.0);
  EXPECT_DOUBLE_EQ(initialWindow(pet).level, 2.5);
  pet.unit = "BQML";  // not converted to SUV: by percentile like an MR
  EXPECT_FALSE(isSuvPet(pet));
  EXPECT_DOUBLE_EQ(initialWindow(pet).window, 1e-3);  // all zero
}

}  // namespace
}  // namespace twinplan::rendering
