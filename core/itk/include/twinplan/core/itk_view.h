#pragma once
// Zero-copy views of TwinPlan images as itk::Image. The view borrows the buffer: keep the
// ImageVolume alive (and unresized) while the view is used. Link twinplan::core_itk.
#include <itkImage.h>
#include <itkImportImageContainer.h>

#include "twinplan/core/image_volume.h"

namespace twinplan {

template <class T>
typename itk::Image<T, 3>::Pointer makeItkView(T* buffer, const ImageGeometry& g) {
  using ImageType = itk::Image<T, 3>;
  auto image = ImageType::New();
  typename ImageType::RegionType region;
  typename ImageType::SpacingType spacing;
  typename ImageType::PointType origin;
  typename ImageType::DirectionType direction;
  for (unsigned a = 0; a < 3; ++a) {
    region.SetSize(a, static_cast<itk::SizeValueType>(g.size[a]));
    spacing[a] = g.spacing_mm[a];
    origin[a] = g.origin_lps[a];
    for (unsigned b = 0; b < 3; ++b) direction(a, b) = g.direction(a, b);
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
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
