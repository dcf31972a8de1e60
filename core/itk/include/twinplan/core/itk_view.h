#pragma once
// Zero-copy views of TwinPlan images as itk::Image. The view borrows the buffer: keep the
// ImageVolume alive (and unresized) while the view is used. Link twinplan::core_itk.
#include <itkImage.h>
#include <itkImportImageContainer.h>

#include "twinplan/core/image_volume.h"

namespace twinplan {

// Gives `image` the grid of `g`: size, spacing, origin and the direction cosines (oblique grids
// keep them, so ITK filters and metrics work in LPS).
template <class Image>
void setItkGeometry(Image& image, const ImageGeometry& g) {
  typename Image::RegionType region;
  typename Image::SpacingType spacing;
  typename Image::PointType origin;
  typename Image::DirectionType direction;
  for (unsigned a = 0; a < 3; ++a) {
    region.SetSize(a, static_cast<itk::SizeValueType>(g.size[a]));
    spacing[a] = g.spacing_mm[a];
    origin[a] = g.origin_lps[a];
    for (unsigned b = 0; b < 3; ++b) direction(a, b) = g.direction(a, b);
  }
  image.SetRegions(region);
  image.SetSpacing(spacing);
  image.SetOrigin(origin);
  image.SetDirection(direction);
}

// A new image of its own on grid `g`, zero-filled: for filter inputs that are converted or
// cropped copies rather than views.
template <class T>
typename itk::Image<T, 3>::Pointer newItkImage(const ImageGeometry& g) {
  auto image = itk::Image<T, 3>::New();
  setItkGeometry(*image, g);
  image->Allocate(true);
  return image;
}

template <class T>
typename itk::Image<T, 3>::Pointer makeItkView(T* buffer, const ImageGeometry& g) {
  using ImageType = itk::Image<T, 3>;
  auto image = ImageType::New();
  setItkGeometry(*image, g);
  auto container = itk::ImportImageContainer<itk::SizeValueType, T>::New();
  container->SetImportPointer(buffer, g.voxelCount(), /*LetContainerManageMemory=*/false);
  image->SetPixelContainer(container);
  return image;
}

template <class T>
typename itk::Image<T, 3>::Pointer asItkImage(ImageVolume& volume) {
  return makeItkView<T>(volume.voxels<T>().data(), volume.geometry());
}

}  // namespace twinplan
