#include "gui_fixtures.h"

#include <QImage>
#include <QTest>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "twinplan/ui/case_document.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui::fixtures {

ImageGeometry centredGrid(const Index3& size, const Vec3& spacing_mm) {
  ImageGeometry g;
  g.size = size;
  g.spacing_mm = spacing_mm;
  const Vec3 last(double(size[0] - 1), double(size[1] - 1), double(size[2] - 1));
  g.origin_lps = -0.5 * spacing_mm.cwiseProduct(last);
  return g;
}

ImageGeometry tiltedGrid(const Vec3& centre_lps) {
  ImageGeometry g;
  g.size = {64, 60, 40};
  g.spacing_mm = Vec3(2.0, 2.0, 2.5);
  const double a = 10.0 * M_PI / 180.0;
  g.direction << 1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a);
  g.origin_lps = centre_lps - g.direction * g.spacing_mm.cwiseProduct(Vec3(31.5, 29.5, 19.5));
  return g;
}

ImageVolume syntheticVolume(const ImageGeometry& grid, PixelType type, const std::string& name,
                            const std::string& modality, const std::string& unit) {
  ImageVolume volume(grid, type);
  volume.name = name;
  volume.unit = unit;
  volume.dicom.modality = modality;
  return volume;
}

ImageVolume ctVolume(const ImageGeometry& grid) {
  return syntheticVolume(grid, PixelType::Int16, "CT", "CT", "HU");
}

Case caseWith(ImageVolume volume, const std::string& name) {
  Case twin;
  twin.name = name;
  twin.volumes.push_back(std::move(volume));
  return twin;
}

void fillBox(LabelMap& labels, const Index3& first, const Index3& last, std::uint16_t value) {
  const ImageGeometry& g = labels.geometry();
  for (std::int64_t k = first[2]; k <= last[2]; ++k)
    for (std::int64_t j = first[1]; j <= last[1]; ++j)
      for (std::int64_t i = first[0]; i <= last[0]; ++i)
        labels.layer(0)[g.linearIndex(i, j, k)] = value;
}

QColor shownAt(SliceViewport* viewport, const Vec3& p_lps) {
  const QImage frame = viewport->grabFramebuffer();
  double x, y;
  viewport->view().lpsToDisplay(p_lps, x, y);
  const int column = static_cast<int>(std::lround(x));
  const int row = frame.height() - 1 - static_cast<int>(std::lround(y));
  EXPECT_TRUE(frame.rect().contains(column, row)) << "point off screen";
  return QColor(frame.pixel(column, row));
}

void CaseWindowTest::showCase(Case twin, int settle_ms) {
  window_ = std::make_unique<MainWindow>(autosave_.path());
  window_->setCase(std::move(twin));
  window_->resize(1200, 900);
  window_->show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
  QTest::qWait(settle_ms);
}

void CaseWindowTest::screenshot(const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir || !window_) return;
  QTest::qWait(300);
  const VtkViewport::RenderAllNow everyView;
  window_->grab().save(QString::fromStdString((std::filesystem::path(dir) / name).string()));
}

void CaseWindowTest::TearDown() {
  if (window_) window_->document()->markClean();
}

}  // namespace twinplan::ui::fixtures
