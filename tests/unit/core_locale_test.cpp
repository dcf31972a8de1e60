// Case files must not depend on the user's locale: a German desktop writes "1,5" with printf,
// which would corrupt NRRD headers and JSON. Needs de_DE.UTF-8 (Debian package locales-all).
#include <gtest/gtest.h>

#include <clocale>
#include <cstdio>
#include <fstream>
#include <locale>
#include <sstream>
#include <stdexcept>
#include <string>

#include "test_support.h"
#include "twinplan/core/case_file.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGerman = "de_DE.UTF-8";
constexpr const char* kInstallHint =
    "The locale de_DE.UTF-8 is not available, so this test cannot check that case files are "
    "locale-independent. Install it: sudo apt-get install locales-all";

// Switches the C and C++ global locales to German and back, whatever happens in the test.
class GermanLocale {
 public:
  GermanLocale() {
    const char* previous = std::setlocale(LC_ALL, nullptr);
    previousC_ = previous ? previous : "C";
    available_ = std::setlocale(LC_ALL, kGerman) != nullptr;
    if (!available_) return;
    try {
      previousCpp_ = std::locale::global(std::locale(kGerman));
    } catch (const std::runtime_error&) {
      available_ = false;
    }
  }
  ~GermanLocale() {
    std::locale::global(previousCpp_);
    std::setlocale(LC_ALL, previousC_.c_str());
  }
  GermanLocale(const GermanLocale&) = delete;
  GermanLocale& operator=(const GermanLocale&) = delete;
  bool available() const { return available_; }

 private:
  std::string previousC_;
  std::locale previousCpp_;
  bool available_ = false;
};

std::string readBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Case caseWithFractions() {
  Case twin;
  twin.name = "Locale check";
  ImageGeometry g;
  g.size = {3, 2, 2};
  g.origin_lps = Vec3(-123.456, 78.9, -0.0625);
  g.spacing_mm = Vec3(0.5, 0.75, 1.25);
  ImageVolume ct(g, PixelType::Int16);
  for (std::size_t i = 0; i < ct.voxelCount(); ++i)
    ct.voxels<std::int16_t>()[i] = static_cast<std::int16_t>(i * 1000);
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom.windowCenter = 40.5;
  ct.dicom.windowWidth = 1234.5;  // a German printf would write 1.234,5 with grouping
  twin.volumes.push_back(std::move(ct));
  ScalarField dose;
  dose.name = "Dose";
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry = g;
  dose.geometry.spacing_mm = Vec3(2.5, 2.5, 2.5);
  dose.values.assign(dose.geometry.voxelCount(), 1.5f);
  twin.fields.push_back(dose);
  twin.measurements.push_back({Measurement::Kind::Ruler,
                               "Ruler",
                               {Vec3(0.1, 0.2, 0.3), Vec3(1000.5, -2000.25, 3.75)},
                               "CT"});
  twin.plans.push_back({"ablation", "Plan", {{"power_W", 62.5}, {"duration_s", 1234.75}}});
  return twin;
}

TEST(CaseFileLocale, GermanLocaleKeepsDecimalPoints) {
  GermanLocale german;
  ASSERT_TRUE(german.available()) << kInstallHint;
  // The locale really is German: C and C++ formatting now write decimal commas.
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", 1.25);
  ASSERT_STREQ(text, "1,25") << "setlocale(LC_ALL, de_DE.UTF-8) did not take effect";
  std::ostringstream stream;
  stream << 1.25;
  ASSERT_EQ(stream.str(), "1,25");

  test::TempDir dir;
  const fs::path file = dir / "locale.twinplan";
  const Case original = caseWithFractions();
  saveCase(original, file);
  const Case loaded = loadCase(file);

  ASSERT_EQ(loaded.volumes.size(), 1u);
  const ImageGeometry& g = loaded.volumes[0].geometry();
  EXPECT_EQ(g.origin_lps, original.volumes[0].geometry().origin_lps);
  EXPECT_EQ(g.spacing_mm, original.volumes[0].geometry().spacing_mm);
  EXPECT_EQ(g.direction, original.volumes[0].geometry().direction);
  EXPECT_EQ(loaded.volumes[0].dicom.windowWidth, 1234.5);
  EXPECT_EQ(loaded.fields.at(0).geometry.spacing_mm, Vec3(2.5, 2.5, 2.5));
  EXPECT_EQ(loaded.measurements, original.measurements);
  EXPECT_EQ(loaded.plans, original.plans);

  // NRRD entries are stored uncompressed in the zip, so their headers are plain bytes of
  // the file: decimals must be '.', never ','.
  const std::string bytes = readBytes(file);
  EXPECT_NE(bytes.find("space origin: (-123.456,78.9,-0.0625)\n"), std::string::npos);
  EXPECT_NE(bytes.find("space directions: (0.5,0,0) (0,0.75,0) (0,0,1.25)\n"), std::string::npos);
  EXPECT_NE(bytes.find("space directions: (2.5,0,0) (0,2.5,0) (0,0,2.5)\n"), std::string::npos);
  EXPECT_EQ(bytes.find("-123,456"), std::string::npos);
  EXPECT_EQ(bytes.find("0,75"), std::string::npos);
}

}  // namespace
}  // namespace twinplan
