#pragma once
// Zero-copy view of an ImageVolume as vtkImageData (with its direction matrix). The view
// borrows the buffer: keep the volume alive while VTK uses it. Link twinplan::core_vtk.
#include <vtkImageData.h>
#include <vtkSmartPointer.h>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan {

vtkSmartPointer<vtkImageData> asVtkImage(ImageVolume& volume);
vtkSmartPointer<vtkImageData> asVtkImage(ScalarField& field);

}  // namespace twinplan
