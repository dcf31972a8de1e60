// Fusion in the 2D views: a second series (PET, MR, a follow-up) sampled on the background's
// slice plane through its registration, coloured by a colour map and blended, checkerboarded
// or flickered over the background; thick slabs; colour bars. Kept apart from slice_view.cpp
// so the view's own drawing and the fusion layer change independently.
#include <vtkImageData.h>
#include <vtkLookupTable.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkTextProperty.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::rendering {

double windowPosition(double value, const WindowLevel& wl) {
  // PS3.3 C.11.2.1.3.2 LINEAR_EXACT with output range 0..1.
  const double width = std::max(wl.window, 1e-9);
  return std::clamp((value - wl.level) / width + 0.5, 0.0, 1.0);
}

std::vector<NamedWindow> suvWindowPresets() {
  std::vector<NamedWindow> presets;
  for (double upper : {5.0, 7.0, 10.0, 15.0, 20.0}) {
    char name[32];
    std::snprintf(name, sizeof name, "SUV 0-%.0f", upper);
    presets.push_back({name, WindowLevel{upper, upper / 2.0}});
  }
  return presets;
}

const char* toString(FusionMode mode) {
  switch (mode) {
    case FusionMode::Blend:
      return "blend";
    case FusionMode::Checkerboard:
      return "checkerboard";
    case FusionMode::Flicker:
      return "flicker";
  }
  return "blend";
}

FusionMode fusionModeFromString(const std::string& name) {
  for (FusionMode mode : {FusionMode::Blend, FusionMode::Checkerboard, FusionMode::Flicker})
    if (name == toString(mode)) return mode;
  throw Error(
      ErrorKind::InvalidInput,
      "There is no fusion mode called '" + name + "'; choose blend, checkerboard or flicker.",
      "fusion mode");
}

namespace {

// A colour bar at a fraction of the view, styled as the field legend.
vtkSmartPointer<vtkScalarBarActor> makeColourBar(double x, double y) {
  auto bar = vtkSmartPointer<vtkScalarBarActor>::New();
  bar->SetNumberOfLabels(5);
  bar->SetBarRatio(0.25);
  bar->SetWidth(0.08);
  bar->SetHeight(0.36);
  bar->UnconstrainedFontSizeOn();
  bar->GetLabelTextProperty()->SetFontSize(12);
  bar->GetLabelTextProperty()->SetItalic(false);
  bar->GetLabelTextProperty()->SetShadow(true);
  bar->GetTitleTextProperty()->SetFontSize(13);
  bar->GetTitleTextProperty()->SetItalic(false);
  bar->SetPosition(x, y);
  bar->SetVisibility(false);
  return bar;
}

// The unit a colour bar is titled with; "a.u." (arbitrary units) for an uncalibrated MR.
std::string unitTitle(const ImageVolume& volume) {
  return volume.unit.empty() ? std::string("a.u.") : volume.unit;
}

void blendPixel(unsigned char* px, const RgbColour& colour, double alpha) {
  px[0] = static_cast<unsigned char>(px[0] * (1 - alpha) + colour.r * alpha + 0.5);
  px[1] = static_cast<unsigned char>(px[1] * (1 - alpha) + colour.g * alpha + 0.5);
  px[2] = static_cast<unsigned char>(px[2] * (1 - alpha) + colour.b * alpha + 0.5);
}

// Runs rows(first, last) over [0, height) on the parallel layer, 32 rows a chunk.
template <class Rows>
void forEachRowChunk(int height, const Rows& rows) {
  parallel::parallelFor(parallel::IndexRange{0, static_cast<std::size_t>(height)}, 32,
                        [&rows](parallel::IndexRange chunk) {
                          rows(static_cast<int>(chunk.begin), static_cast<int>(chunk.end));
                        });
}

}  // namespace

void SliceView::setForeground(const FusionLayer& layer) {
  if (!layer.volume) {
    throw Error(ErrorKind::InvalidInput,
                "A fusion layer needs a series to show; choose one, or clear the foreground.",
                "fusion layer");
  }
  if (layer.volume->planar2D || layer.volume->pixelType() == PixelType::Rgb8) {
    throw Error(ErrorKind::Unsupported,
                "Series '" + layer.volume->name +
                    "' is a 2D or colour image: it has no patient-space grid or grey values to "
                    "fuse. Fuse a CT, MR or PET series instead.",
                layer.volume->name);
  }
  foreground_ = layer;
  foreground_.opacity = std::clamp(layer.opacity, 0.0, 1.0);
  resampleBeforeRender_ = true;
  updateColourBars();
}

void SliceView::clearForeground() {
  foreground_ = FusionLayer{};
  resampleBeforeRender_ = true;
  updateColourBars();
}

void SliceView::setFusionMode(FusionMode mode, double checker_mm) {
  fusionMode_ = mode;
  checker_mm_ = std::max(checker_mm, 1.0);
  resampleBeforeRender_ = true;
}

void SliceView::setFlickerPhase(bool showForeground) {
  if (showForeground == flickerShowsForeground_) return;
  flickerShowsForeground_ = showForeground;
  if (fusionMode_ == FusionMode::Flicker) resampleBeforeRender_ = true;
}

void SliceView::setBackgroundColourMap(ColourMap map) {
  backgroundColourMap_ = map;
  resampleBeforeRender_ = true;
  updateColourBars();
}

void SliceView::setSlab(SlabMode mode, double thickness_mm) {
  slabMode_ = mode;
  slabThickness_mm_ = std::max(thickness_mm, 0.0);
  resampleBeforeRender_ = true;
}

void SliceView::setColourBarVisible(bool visible) {
  colourBarVisible_ = visible;
  updateColourBars();
}

void SliceView::updateColourBars() {
  if (!foregroundBar_) {
    // Right edge, above and below the orientation letter at mid-height.
    foregroundBar_ = makeColourBar(0.88, 0.53);
    backgroundBar_ = makeColourBar(0.88, 0.10);
    renderer_->AddActor2D(foregroundBar_);
    renderer_->AddActor2D(backgroundBar_);
  }
  auto configure = [](vtkScalarBarActor* bar, const ImageVolume& volume, const WindowLevel& wl,
                      ColourMap map) {
    const double low = wl.level - wl.window / 2.0, high = wl.level + wl.window / 2.0;
    bar->SetLookupTable(makeLookupTable(map, low, high));
    bar->SetTitle(unitTitle(volume).c_str());
  };
  const bool showForeground = colourBarVisible_ && foreground_.volume != nullptr;
  if (showForeground)
    configure(foregroundBar_, *foreground_.volume, foreground_.window, foreground_.colourMap);
  foregroundBar_->SetVisibility(showForeground);
  const bool showBackground =
      colourBarVisible_ && volume_ != nullptr && backgroundColourMap_ != ColourMap::Grey;
  if (showBackground) configure(backgroundBar_, *volume_, windowLevel_, backgroundColourMap_);
  backgroundBar_->SetVisibility(showBackground);
}

bool SliceView::backgroundNeedsComposition() const {
  return volume_ && volume_->pixelType() != PixelType::Rgb8 &&
         (slabMode_ != SlabMode::None || backgroundColourMap_ != ColourMap::Grey);
}

void SliceView::composeBackground(unsigned char* out) {
  const float outside = std::numeric_limits<float>::quiet_NaN();
  sampleSlabThrough(*volume_, plane_, SpatialTransform::identity(), slabMode_, slabThickness_mm_,
                    sliceStep_mm(), outside, samples_);
  const int w = plane_.width, h = plane_.height;
  const bool grey = backgroundColourMap_ == ColourMap::Grey;
  const auto& table = colourTable(backgroundColourMap_);
  forEachRowChunk(h, [&](int first, int last) {
    for (int v = first; v < last; ++v) {
      const float* in = samples_.data() + static_cast<std::size_t>(v) * w;
      unsigned char* row = out + static_cast<std::size_t>(h - 1 - v) * w * 3;  // bottom-up
      for (int u = 0; u < w; ++u) {
        RgbColour colour{0, 0, 0};
        if (!std::isnan(in[u]) && !volume_->isPadding(in[u])) {
          if (grey) {
            const std::uint8_t g = screenGrey(in[u], windowLevel_, *volume_);
            colour = {g, g, g};
          } else {
            colour = table[static_cast<std::size_t>(
                std::lround(windowPosition(in[u], windowLevel_) * 255.0))];
          }
        }
        row[3 * u] = colour.r;
        row[3 * u + 1] = colour.g;
        row[3 * u + 2] = colour.b;
      }
    }
  });
}

void SliceView::blendForeground(unsigned char* out) {
  const ImageVolume& layer = *foreground_.volume;
  const SpatialTransform& transform = foreground_.backgroundToLayer;
  if (fusionMode_ == FusionMode::Flicker && !flickerShowsForeground_) return;
  // The layer's own slice step along the view normal as it lies in the layer's space.
  const Vec3 layerNormal = (transform.matrix * plane_.normal()).normalized();
  const float outside = std::numeric_limits<float>::quiet_NaN();
  sampleSlabThrough(layer, plane_, transform, slabMode_, slabThickness_mm_,
                    sliceStepAlong(layer.geometry(), layerNormal), outside, foregroundSamples_);
  const int w = plane_.width, h = plane_.height;
  const auto& table = colourTable(foreground_.colourMap);
  const WindowLevel& wl = foreground_.window;
  const double low = wl.level - wl.window / 2.0;
  const FusionMode mode = fusionMode_;
  // Checkerboard squares anchored at the LPS origin: a pixel's square is the parity of its
  // position along the plane's (orthonormal) axes, p.right = origin.right + u * spacing and
  // likewise for v, so each column and each row has one parity.
  std::vector<std::uint8_t> columnParity, rowParity;
  if (mode == FusionMode::Checkerboard) {
    auto parity = [this](double position_mm) {
      return static_cast<std::uint8_t>(static_cast<long>(std::floor(position_mm / checker_mm_)) &
                                       1);
    };
    const double u0 = plane_.origin_lps.dot(plane_.right), v0 = plane_.origin_lps.dot(plane_.down);
    for (int u = 0; u < w; ++u) columnParity.push_back(parity(u0 + u * plane_.spacing_mm));
    for (int v = 0; v < h; ++v) rowParity.push_back(parity(v0 + v * plane_.spacing_mm));
  }
  forEachRowChunk(h, [&](int first, int last) {
    for (int v = first; v < last; ++v) {
      const float* in = foregroundSamples_.data() + static_cast<std::size_t>(v) * w;
      unsigned char* row = out + static_cast<std::size_t>(h - 1 - v) * w * 3;
      for (int u = 0; u < w; ++u) {
        double alpha = foreground_.opacity;
        if (mode == FusionMode::Checkerboard) {
          if ((columnParity[u] ^ rowParity[v]) == 0) continue;  // a background square
          alpha = 1.0;
        } else if (mode == FusionMode::Flicker) {
          alpha = 1.0;
        }
        const float value = in[u];
        unsigned char* px = row + 3 * u;
        // Pixel padding (PS3.3 C.7.5.1.1.2) lies outside the layer's scanned field.
        if (std::isnan(value) || layer.isPadding(value)) {
          // Outside the layer: blending shows the background; a foreground square or phase
          // shows nothing there (black), so the layer's extent is visible.
          if (mode != FusionMode::Blend) px[0] = px[1] = px[2] = 0;
          continue;
        }
        // Below the window: transparent in a blend (no uptake, the CT shows through).
        if (mode == FusionMode::Blend && foreground_.thresholdBelowWindow && value < low) continue;
        const RgbColour colour =
            table[static_cast<std::size_t>(std::lround(windowPosition(value, wl) * 255.0))];
        blendPixel(px, colour, alpha);
      }
    }
  });
}

std::optional<double> SliceView::foregroundValueAt(const Vec3& p_lps) const {
  if (!foreground_.volume) return std::nullopt;
  return sampleThrough(*foreground_.volume, foreground_.backgroundToLayer, p_lps);
}

RgbColour SliceView::displayedColourAt(int u, int v) const {
  const_cast<SliceView*>(this)->resampleIfNeeded();  // the cache is not the view's state
  if (!volume_ || u < 0 || v < 0 || u >= plane_.width || v >= plane_.height) return {};
  const auto* rgb = static_cast<const unsigned char*>(rgb_->GetScalarPointer());
  const unsigned char* px =
      rgb + (static_cast<std::size_t>(plane_.height - 1 - v) * plane_.width + u) * 3;
  return {px[0], px[1], px[2]};
}

}  // namespace twinplan::rendering
