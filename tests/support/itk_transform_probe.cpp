#include "itk_transform_probe.h"

#include <itkHDF5TransformIOFactory.h>
#include <itkTransform.h>
#include <itkTransformFileReader.h>
#include <itkTxtTransformIOFactory.h>

#include <mutex>
#include <stdexcept>

namespace twinplan::test {

ItkTransformProbe itkTransformPoints(const std::filesystem::path& file,
                                     const std::vector<std::array<double, 3>>& points) {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::TxtTransformIOFactory::RegisterOneFactory();
    itk::HDF5TransformIOFactory::RegisterOneFactory();
  });
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(file.string());
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw std::runtime_error(e.GetDescription());
  }
  const auto& front = reader->GetTransformList()->front();
  auto* transform = dynamic_cast<itk::Transform<double, 3, 3>*>(front.GetPointer());
  if (!transform) throw std::runtime_error("not a 3D transform");
  ItkTransformProbe probe;
  probe.className = transform->GetNameOfClass();
  for (const auto& p : points) {
    itk::Point<double, 3> in;
    for (unsigned a = 0; a < 3; ++a) in[a] = p[a];
    const auto out = transform->TransformPoint(in);
    probe.mappedPoints.push_back({out[0], out[1], out[2]});
  }
  return probe;
}

}  // namespace twinplan::test
