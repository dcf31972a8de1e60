// The 3D view in a real X window (Xvfb, Mesa llvmpipe): surface meshes, the clipping box, the
// orientation cube and the volume presets, each checked at the screen pixel where the known
// geometry of a synthetic case projects (vtkRenderer::WorldToDisplay).
#include <gtest/gtest.h>
#include <vtkCamera.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>

#include <QApplication>
#include <QImage>
#include <QKeyEvent>
#include <QTest>
#include <cmath>
#include <map>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case.h"
#include "twinplan/core/error.h"
#include "twinplan/ui/theme.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::VolumePreset;

const Vec3 kBallCentre_lps(5.0, -8.0, 12.0);
const double kBallRadius_mm = 15.0;
// The mesh sits on the patient's left of the ball (screen right in the anterior view), in air.
const Vec3 kMeshCentre_lps = kBallCentre_lps + Vec3(36.0, 0.0, 0.0);
const double kMeshRadius_mm = 12.0;
const Rgb kMeshColour{60, 200, 90};

// An icosphere in the mesh colour, without normals (the view computes them).
SurfaceMesh sphereMesh(const Vec3& centre_lps, double radius_mm) {
  SurfaceMesh mesh = test::icosphere(centre_lps, radius_mm, 3, false);
  mesh.name = "Target";
  mesh.colour = kMeshColour;
  return mesh;
}

// A tilted grid (10 degrees about L-R) holding a ball of `inside` in `outside`.
template <class T>
ImageVolume ballVolume(T outside, T inside, const std::string& modality) {
  const ImageGeometry g = fixtures::tiltedGrid(kBallCentre_lps);
  ImageVolume volume = fixtures::syntheticVolume(g, pixelTypeOf<T>(), modality, modality, "");
  auto voxels = volume.template voxels<T>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        voxels[g.linearIndex(i, j, k)] =
            (p - kBallCentre_lps).norm() <= kBallRadius_mm ? inside : outside;
      }
  return volume;
}

Case syntheticCase() {
  Case twin;
  twin.name = "Ball and target";
  twin.volumes.push_back(ballVolume<std::int16_t>(-1000, 1000, "CT"));
  twin.meshes.push_back(sphereMesh(kMeshCentre_lps, kMeshRadius_mm));
  return twin;
}

bool isMeshColour(QRgb pixel) {
  return qGreen(pixel) > qRed(pixel) + 60 && qGreen(pixel) > qBlue(pixel) + 50;
}
bool isBackground(QRgb pixel) { return qGray(pixel) < 40; }

class VolumeViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    twin_ = syntheticCase();
    viewport_ = std::make_unique<VolumeViewport>();
    viewport_->resize(520, 420);
    viewport_->view().setVolume(&twin_.volumes.front());
    viewport_->view().setMeshes(&twin_.meshes);
    viewport_->view().resetCamera();
    viewport_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(viewport_.get()));
    QTest::qWait(100);
  }

  // Renders and returns the frame; `pixelAt` reads it where an LPS point projects.
  QImage frame() { return viewport_->grabFramebuffer(); }
  QRgb pixelAt(const QImage& image, vtkRenderer* renderer, const Vec3& p_world) {
    renderer->SetWorldPoint(p_world[0], p_world[1], p_world[2], 1.0);
    renderer->WorldToDisplay();
    double display[3];
    renderer->GetDisplayPoint(display);
    const int column = static_cast<int>(std::lround(display[0]));
    const int row = image.height() - 1 - static_cast<int>(std::lround(display[1]));
    EXPECT_TRUE(image.rect().contains(column, row)) << "point off screen";
    if (!image.rect().contains(column, row)) return 0;
    return image.pixel(column, row);
  }
  QRgb scenePixel(const QImage& image, const Vec3& p_lps) {
    return pixelAt(image, viewport_->view().renderer(), p_lps);
  }

  Case twin_;
  std::unique_ptr<VolumeViewport> viewport_;
};

TEST_F(VolumeViewTest, MeshShowsInItsColourWhereItProjects) {
  const QImage image = frame();
  const QRgb mesh = scenePixel(image, kMeshCentre_lps);
  EXPECT_TRUE(isMeshColour(mesh)) << "rgb " << qRed(mesh) << "," << qGreen(mesh) << ","
                                  << qBlue(mesh);
  // The bone ball (CT bone preset) shows bright where it is, and air shows the background.
  EXPECT_GT(qGray(scenePixel(image, kBallCentre_lps)), 120);
  EXPECT_TRUE(isBackground(scenePixel(image, kBallCentre_lps + Vec3(0, 0, 40))));
  // Patient left (+x) is on screen right in the anterior view.
  viewport_->view().renderer()->SetWorldPoint(kMeshCentre_lps[0], kMeshCentre_lps[1],
                                              kMeshCentre_lps[2], 1);
  viewport_->view().renderer()->WorldToDisplay();
  EXPECT_GT(viewport_->view().renderer()->GetDisplayPoint()[0], image.width() / 2.0);
}

TEST_F(VolumeViewTest, HiddenMeshIsNotDrawn) {
  viewport_->view().setMeshVisible(0, false);
  EXPECT_FALSE(viewport_->view().meshVisible(0));
  EXPECT_FALSE(isMeshColour(scenePixel(frame(), kMeshCentre_lps)));
  viewport_->view().setMeshVisible(0, true);
  EXPECT_TRUE(isMeshColour(scenePixel(frame(), kMeshCentre_lps)));
  EXPECT_THROW(viewport_->view().setMeshVisible(1, true), Error);
}

TEST_F(VolumeViewTest, TranslucentMeshBlendsWithTheBackground) {
  const QRgb opaque = scenePixel(frame(), kMeshCentre_lps);
  viewport_->view().setMeshOpacity(0, 0.4);
  EXPECT_DOUBLE_EQ(viewport_->view().meshOpacity(0), 0.4);
  const QRgb translucent = scenePixel(frame(), kMeshCentre_lps);
  // Over a near-black background the green channel falls to roughly 40% (front and back
  // surfaces both contribute, so allow up to ~65%).
  EXPECT_LT(qGreen(translucent), 0.7 * qGreen(opaque));
  EXPECT_GT(qGreen(translucent), 0.25 * qGreen(opaque));
  EXPECT_GT(qGreen(translucent), qRed(translucent));
}

TEST_F(VolumeViewTest, ClippingBoxHidesWhatLiesOutside) {
  // A box around the ball only: the mesh is outside it, the ball inside.
  const Vec3 margin(20.0, 20.0, 20.0);
  viewport_->view().setClippingBox(kBallCentre_lps - margin, kBallCentre_lps + margin);
  ASSERT_TRUE(viewport_->view().hasClippingBox());
  QImage image = frame();
  const QRgb mesh = scenePixel(image, kMeshCentre_lps);
  EXPECT_FALSE(isMeshColour(mesh))
      << "rgb " << qRed(mesh) << "," << qGreen(mesh) << "," << qBlue(mesh);
  EXPECT_GT(qGray(scenePixel(image, kBallCentre_lps)), 120);

  // Keep only the superior half of the ball: the volume is clipped in LPS, not in the tilted
  // grid's index frame.
  viewport_->view().setClippingBox(kBallCentre_lps - Vec3(40, 40, 0),
                                   kBallCentre_lps + Vec3(40, 40, 40));
  image = frame();
  EXPECT_GT(qGray(scenePixel(image, kBallCentre_lps + Vec3(0, 0, 8))), 120);
  EXPECT_TRUE(isBackground(scenePixel(image, kBallCentre_lps - Vec3(0, 0, 8))));

  viewport_->view().clearClippingBox();
  image = frame();
  EXPECT_TRUE(isMeshColour(scenePixel(image, kMeshCentre_lps)));
  EXPECT_GT(qGray(scenePixel(image, kBallCentre_lps - Vec3(0, 0, 8))), 120);
  EXPECT_THROW(viewport_->view().setClippingBox(Vec3(0, 0, 0), Vec3(10, -1, 10)), Error);
}

TEST_F(VolumeViewTest, KeyCTogglesABoxAroundTheCrosshair) {
  // The crosshair on the ball: the default box (half the scene's extent) leaves the mesh out.
  viewport_->setCrosshair(kBallCentre_lps);
  QTest::keyClick(viewport_.get(), Qt::Key_C);
  ASSERT_TRUE(viewport_->clipping());
  const rendering::BoxLps& box = viewport_->view().clippingBox();
  EXPECT_TRUE(((box.lo_lps - kBallCentre_lps).array() < 0).all());
  EXPECT_TRUE(((box.hi_lps - kBallCentre_lps).array() > 0).all());
  EXPECT_FALSE(isMeshColour(scenePixel(frame(), kMeshCentre_lps)));
  // Moving the crosshair onto the mesh moves the box with it.
  viewport_->setCrosshair(kMeshCentre_lps);
  EXPECT_TRUE(isMeshColour(scenePixel(frame(), kMeshCentre_lps)));
  QTest::keyClick(viewport_.get(), Qt::Key_C);
  EXPECT_FALSE(viewport_->clipping());
}

TEST_F(VolumeViewTest, OrientationCubeTurnsWithTheCamera) {
  QImage image = frame();
  vtkRenderer* marker = viewport_->view().orientationRenderer();
  // Its corner square is mostly cube, not background.
  const double* viewport = marker->GetViewport();
  const int* size = viewport_->view().renderer()->GetRenderWindow()->GetSize();
  int covered = 0, total = 0;
  for (int y = static_cast<int>(viewport[1] * size[1]); y < static_cast<int>(viewport[3] * size[1]);
       ++y)
    for (int x = static_cast<int>(viewport[0] * size[0]);
         x < static_cast<int>(viewport[2] * size[0]); ++x) {
      ++total;
      if (!isBackground(image.pixel(x, image.height() - 1 - y))) ++covered;
    }
  ASSERT_GT(total, 64 * 64);
  EXPECT_GT(covered, total / 4);
  EXPECT_GT(viewport[0], 0.5);  // bottom-right corner
  EXPECT_LT(viewport[1], 0.5);

  // Seen from the front: the anterior face (green, A/P) faces us. Sample off the letter.
  QRgb face = pixelAt(image, marker, Vec3(0.38, -0.5, -0.38));
  EXPECT_GT(qGreen(face), qRed(face) + 30)
      << "anterior face rgb " << qRed(face) << "," << qGreen(face) << "," << qBlue(face);
  // A quarter turn about the vertical: now a lateral (red, L/R) face faces us.
  viewport_->view().rotate(90.0, 0.0);
  image = frame();
  double position[3], focal[3];
  viewport_->view().renderer()->GetActiveCamera()->GetPosition(position);
  viewport_->view().renderer()->GetActiveCamera()->GetFocalPoint(focal);
  const Vec3 towardsCamera =
      (Vec3(position[0], position[1], position[2]) - Vec3(focal[0], focal[1], focal[2]))
          .normalized();
  EXPECT_NEAR(std::abs(towardsCamera[0]), 1.0, 1e-6);
  const double side = towardsCamera[0] > 0 ? 0.5 : -0.5;
  face = pixelAt(image, marker, Vec3(side, 0.38, -0.38));
  EXPECT_GT(qRed(face), qGreen(face) + 30)
      << "lateral face rgb " << qRed(face) << "," << qGreen(face) << "," << qBlue(face);
}

TEST(VolumeViewPresets, MrPresetShowsAnMrVolumeDespiteBrightOutliers) {
  // Background 0, tissue 800 and a few artefact voxels at 30000: on the raw range the ramp
  // would start at 4500 and leave the ball invisible.
  ImageVolume mr = ballVolume<std::uint16_t>(0, 800, "MR");
  auto voxels = mr.voxels<std::uint16_t>();
  for (std::size_t i = 0; i < 50; ++i) voxels[i * 997] = 30000;
  VolumeViewport viewport;
  viewport.resize(420, 420);
  viewport.view().setVolume(&mr);
  EXPECT_EQ(viewport.view().preset(), VolumePreset::Mr);
  viewport.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&viewport));
  const QImage image = viewport.grabFramebuffer();
  vtkRenderer* renderer = viewport.view().renderer();
  renderer->SetWorldPoint(kBallCentre_lps[0], kBallCentre_lps[1], kBallCentre_lps[2], 1.0);
  renderer->WorldToDisplay();
  const double* display = renderer->GetDisplayPoint();
  const QRgb ball =
      image.pixel(static_cast<int>(display[0]), image.height() - 1 - static_cast<int>(display[1]));
  EXPECT_GT(qGray(ball), 120);
  const QRgb air = image.pixel(static_cast<int>(display[0]),
                               image.height() - 1 - static_cast<int>(display[1] + 100));
  EXPECT_LT(qGray(air), 40);

  // A CT after an MR leaves the MR preset.
  ImageVolume ct = ballVolume<std::int16_t>(-1000, 1000, "CT");
  viewport.view().setVolume(&ct);
  EXPECT_EQ(viewport.view().preset(), VolumePreset::CtBone);
}

}  // namespace
}  // namespace twinplan::ui
