#include "twinplan/ui/dicom_thumbnails.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "twinplan/io/dicom_image2d.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan::ui {

namespace {

// A colour image's middle frame as it is.
QImage colourFrame(const ImageVolume& image) {
  const ImageGeometry& g = image.geometry();
  const std::int64_t k = g.size[2] / 2;
  const auto rgb = image.voxels<RgbColour>();
  QImage full(static_cast<int>(g.size[0]), static_cast<int>(g.size[1]), QImage::Format_RGB888);
  for (std::int64_t j = 0; j < g.size[1]; ++j) {
    std::memcpy(full.scanLine(static_cast<int>(j)), &rgb[g.linearIndex(0, j, k)],
                static_cast<std::size_t>(g.size[0]) * sizeof(RgbColour));
  }
  return full;
}

}  // namespace

QImage seriesThumbnail(const io::DicomSeries& series, int size) {
  const bool volume = series.kind == io::SeriesKind::Volume;
  if (series.instances.empty() || (!volume && !io::hasViewableImages(series))) return {};
  try {
    // Instances are in InstanceNumber order: the middle one is near the middle of the stack.
    const auto& middle = series.instances[series.instances.size() / 2];
    const std::vector<std::filesystem::path> file{middle.file};
    ImageVolume image;
    try {
      image = volume ? io::loadVolume(file) : io::loadImage2D(file);
    } catch (const Error& e) {
      if (!volume || e.kind() != ErrorKind::Unsupported) throw;
      image = io::loadImage2D(file);  // a colour "volume": shown as the image it is
    }
    if (image.pixelType() == PixelType::Rgb8) {
      return colourFrame(image).scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    }
    const ImageGeometry& g = image.geometry();
    const std::int64_t k = g.size[2] / 2;  // the middle frame of a multi-frame file
    std::vector<double> values;
    values.reserve(static_cast<std::size_t>(g.size[0] * g.size[1]));
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) values.push_back(image.valueAt(i, j, k));
    double lo, hi;
    if (image.planar2D && image.dicom.windowWidth > 0) {
      lo = image.dicom.windowCenter - image.dicom.windowWidth / 2;  // the radiograph's own window
      hi = image.dicom.windowCenter + image.dicom.windowWidth / 2;
    } else if (image.dicom.modality == "CT") {
      lo = 40.0 - 200.0;  // soft-tissue window 400/40
      hi = 40.0 + 200.0;
    } else {
      std::vector<double> sorted = values;
      std::sort(sorted.begin(), sorted.end());
      lo = sorted[sorted.size() / 100];
      hi = std::max(sorted[sorted.size() * 99 / 100], lo + 1.0);
    }
    QImage full(static_cast<int>(g.size[0]), static_cast<int>(g.size[1]),
                QImage::Format_Grayscale8);
    for (std::int64_t j = 0; j < g.size[1]; ++j) {
      uchar* row = full.scanLine(static_cast<int>(j));
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const double v = values[static_cast<std::size_t>(j * g.size[0] + i)];
        const auto grey = static_cast<uchar>(std::clamp((v - lo) / (hi - lo) * 255.0, 0.0, 255.0));
        // Padding is background; MONOCHROME1 shows its minimum white (PS3.3 C.7.5.1.1.2,
        // C.7.6.3.1.2), as the slice view does.
        row[i] = image.isPadding(v)            ? 0
                 : image.dicom.displayInverted ? static_cast<uchar>(255 - grey)
                                               : grey;
      }
    }
    return full.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
  } catch (const std::exception&) {
    return {};  // listed without a picture; loading the series will report the reason
  }
}

std::map<std::string, QImage> seriesThumbnails(const io::DicomIndex& index, int size,
                                               Progress& progress) {
  std::map<std::string, QImage> thumbnails;
  const auto series = index.allSeries();
  for (std::size_t s = 0; s < series.size(); ++s) {
    progress.check();
    progress.report(static_cast<double>(s) / static_cast<double>(series.size()), "Thumbnails");
    QImage thumbnail = seriesThumbnail(*series[s], size);
    if (!thumbnail.isNull()) thumbnails.emplace(series[s]->seriesInstanceUid, std::move(thumbnail));
  }
  progress.report(1.0, "Thumbnails");
  return thumbnails;
}

}  // namespace twinplan::ui
