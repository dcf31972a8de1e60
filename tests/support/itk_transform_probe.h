#pragma once
// An independent reader for transform-file tests: ITK's own TransformFileReader and
// Transform::TransformPoint, in a translation unit of its own (ITK's transform headers bring
// ITK's bundled Eigen, which cannot share a translation unit with the system Eigen of core).
#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace twinplan::test {

struct ItkTransformProbe {
  std::string className;  // of the file's (first) transform, e.g. "CompositeTransform"
  std::vector<std::array<double, 3>> mappedPoints;
};

// Reads `file` with itk::TransformFileReaderTemplate<double> and maps each point with the
// transform's TransformPoint. Throws std::runtime_error when ITK cannot read the file.
ItkTransformProbe itkTransformPoints(const std::filesystem::path& file,
                                     const std::vector<std::array<double, 3>>& points);

}  // namespace twinplan::test
