#pragma once
// Zero-copy view of an ImageVolume as vtkImageData (with its direction matrix). The view
// borrows the buffer: keep the volume alive while VTK uses it. It is for reading (mappers and
// filters read their inputs): taking it neither copies voxels a copy-on-write volume shares
// with other copies, nor may anything write through it. Link twinplan::core_vtk.
#include <vtkImageData.h>
#include <vtkSmartPointer.h>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan {

vtkSmartPointer<vtkImageData> asVtkImage(const ImageVolume& volume);
vtkSmartPointer<vtkImageData> asVtkImage(ScalarField& field);

}  // namespace twinplan
