#pragma once
// Small shapes the headset's scene shares (headset_view.cpp, headset_hands.cpp).
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>

namespace twinplan::rendering {

// A UV sphere of `radius_mm` about the origin (12 around, 6 pole to pole), as triangles:
// enough for a marker or a joint a few pixels wide.
vtkSmartPointer<vtkPolyData> markerSphere(double radius_mm);

}  // namespace twinplan::rendering
