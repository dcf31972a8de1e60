#include "twinplan/core/vtk_view.h"

#include <vtkFloatArray.h>
#include <vtkIntArray.h>
#include <vtkMatrix3x3.h>
#include <vtkPointData.h>
#include <vtkShortArray.h>
#include <vtkUnsignedCharArray.h>
#include <vtkUnsignedShortArray.h>

namespace twinplan {
namespace {

template <class ArrayT, class T>
vtkSmartPointer<vtkDataArray> borrow(const T* data, std::size_t count) {
  auto array = vtkSmartPointer<ArrayT>::New();
  // save=1: VTK must not free our buffer. VTK's arrays have no const form; the views made
  // here are inputs that VTK only reads (see vtk_view.h).
  array->SetArray(const_cast<T*>(data), static_cast<vtkIdType>(count), 1);
  return array;
}

vtkSmartPointer<vtkImageData> makeImage(const ImageGeometry& g,
                                        vtkSmartPointer<vtkDataArray> scalars) {
  auto image = vtkSmartPointer<vtkImageData>::New();
  image->SetDimensions(static_cast<int>(g.size[0]), static_cast<int>(g.size[1]),
                       static_cast<int>(g.size[2]));
  image->SetSpacing(g.spacing_mm.data());
  image->SetOrigin(g.origin_lps.data());
  double direction[9];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) direction[3 * r + c] = g.direction(r, c);
  image->SetDirectionMatrix(direction);
  scalars->SetName("scalars");
  image->GetPointData()->SetScalars(scalars);
  return image;
}

}  // namespace

vtkSmartPointer<vtkImageData> asVtkImage(const ImageVolume& volume) {
  const std::size_t n = volume.voxelCount();
  vtkSmartPointer<vtkDataArray> scalars;
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      scalars = borrow<vtkUnsignedCharArray>(volume.voxels<std::uint8_t>().data(), n);
      break;
    case PixelType::Int16:
      scalars = borrow<vtkShortArray>(volume.voxels<std::int16_t>().data(), n);
      break;
    case PixelType::UInt16:
      scalars = borrow<vtkUnsignedShortArray>(volume.voxels<std::uint16_t>().data(), n);
      break;
    case PixelType::Int32:
      scalars = borrow<vtkIntArray>(volume.voxels<std::int32_t>().data(), n);
      break;
    case PixelType::Float32:
      scalars = borrow<vtkFloatArray>(volume.voxels<float>().data(), n);
      break;
    case PixelType::Rgb8: {
      // Three interleaved components per point: VTK's own layout for colour images.
      const auto* bytes = reinterpret_cast<const unsigned char*>(volume.bytes().data());
      scalars = borrow<vtkUnsignedCharArray>(bytes, 3 * n);
      scalars->SetNumberOfComponents(3);
      scalars->SetNumberOfTuples(static_cast<vtkIdType>(n));
      break;
    }
  }
  return makeImage(volume.geometry(), scalars);
}

vtkSmartPointer<vtkImageData> asVtkImage(ScalarField& field) {
  return makeImage(field.geometry, borrow<vtkFloatArray>(field.values.data(), field.values.size()));
}

}  // namespace twinplan
