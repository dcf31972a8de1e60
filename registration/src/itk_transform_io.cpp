#include "itk_transform_io.h"

#include <itkAffineTransform.h>
#include <itkBSplineTransform.h>
#include <itkCompositeTransform.h>
#include <itkEuler3DTransform.h>
#include <itkHDF5TransformIOFactory.h>
#include <itkIdentityTransform.h>
#include <itkTransformFileReader.h>
#include <itkTransformFileWriter.h>
#include <itkTranslationTransform.h>
#include <itkTxtTransformIOFactory.h>

#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <system_error>

#include "twinplan/core/error.h"

namespace twinplan::registration::detail {

namespace {

using TransformBase = itk::TransformBaseTemplate<double>;
using Linear = itk::MatrixOffsetTransformBase<double, 3, 3>;
using Affine = itk::AffineTransform<double, 3>;
using Euler = itk::Euler3DTransform<double>;
using BSpline = itk::BSplineTransform<double, 3, 3>;
using Composite = itk::CompositeTransform<double, 3>;
using Identity = itk::IdentityTransform<double, 3>;
using Translation = itk::TranslationTransform<double, 3>;

// The transform IOs are found through ITK's object factory; without ITK's generated factory
// register manager (ITK_USE_FILE) they have to be registered by hand, once.
void registerTransformIOs() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::TxtTransformIOFactory::RegisterOneFactory();
    itk::HDF5TransformIOFactory::RegisterOneFactory();
  });
}

// --- pieces -> ITK ---------------------------------------------------------------------

template <typename T>
void setLinearPart(T& transform, const ItkPiece& piece) {
  typename T::MatrixType matrix;
  typename T::InputPointType centre;
  typename T::OutputVectorType translation;
  for (unsigned r = 0; r < 3; ++r) {
    for (unsigned c = 0; c < 3; ++c) matrix(r, c) = piece.matrix[3 * r + c];
    centre[r] = piece.centre[r];
    translation[r] = piece.translation[r];
  }
  transform.SetCenter(centre);
  if constexpr (std::is_same_v<T, Euler>) {
    // A rotation read from DICOM or composed from angles is orthogonal to ~1e-12, not always
    // to ITK's default 1e-10 per element of M M^T; 1e-6 still refuses what is not a rotation.
    transform.SetMatrix(matrix, 1e-6);
  } else {
    transform.SetMatrix(matrix);
  }
  transform.SetTranslation(translation);
}

BSpline::Pointer toBSpline(const ItkPiece& piece) {
  // ITK's BSplineTransform fixed parameters: grid size, origin (the first node), spacing,
  // direction row-major.
  BSpline::FixedParametersType fixed(18);
  for (unsigned a = 0; a < 3; ++a) {
    fixed[a] = double(piece.gridSize[a]);
    fixed[3 + a] = piece.gridOrigin[a];
    fixed[6 + a] = piece.gridSpacing[a];
  }
  for (unsigned e = 0; e < 9; ++e) fixed[9 + e] = piece.gridDirection[e];
  auto bspline = BSpline::New();
  bspline->SetFixedParameters(fixed);
  // ITK's parameters: all x displacements (i fastest), then all y, then all z.
  const std::size_t nodes = piece.nodeDisplacements.size() / 3;
  BSpline::ParametersType parameters(static_cast<unsigned>(3 * nodes));
  for (std::size_t n = 0; n < nodes; ++n)
    for (std::size_t a = 0; a < 3; ++a)
      parameters[static_cast<unsigned>(a * nodes + n)] = piece.nodeDisplacements[3 * n + a];
  bspline->SetParametersByValue(parameters);
  return bspline;
}

itk::Transform<double, 3, 3>::Pointer toItk(const ItkPiece& piece) {
  switch (piece.type) {
    case ItkPiece::Type::Identity:
      return Identity::New().GetPointer();
    case ItkPiece::Type::Rigid: {
      auto euler = Euler::New();
      setLinearPart(*euler, piece);
      return euler.GetPointer();
    }
    case ItkPiece::Type::Affine: {
      auto affine = Affine::New();
      setLinearPart(*affine, piece);
      return affine.GetPointer();
    }
    case ItkPiece::Type::BSpline:
      return toBSpline(piece).GetPointer();
  }
  throw Error(ErrorKind::Internal, "Unknown transform piece.");
}

TransformBase::Pointer toItk(const std::vector<ItkPiece>& actingFirstToLast) {
  if (actingFirstToLast.size() == 1) return toItk(actingFirstToLast.front()).GetPointer();
  auto composite = Composite::New();
  // ITK's CompositeTransform is a stack: the transform added last acts first.
  for (auto it = actingFirstToLast.rbegin(); it != actingFirstToLast.rend(); ++it)
    composite->AddTransform(toItk(*it));
  return composite.GetPointer();
}

// --- ITK -> pieces ---------------------------------------------------------------------

bool isRigidClass(const std::string& name) {
  static const std::set<std::string> names{"Euler3DTransform",         "CenteredEuler3DTransform",
                                           "VersorRigid3DTransform",   "VersorTransform",
                                           "QuaternionRigidTransform", "Rigid3DTransform"};
  return names.count(name) > 0;
}

Error unsupported(const std::filesystem::path& file, const std::string& what) {
  return Error(ErrorKind::Unsupported,
               "The transform file \"" + file.string() + "\" holds " + what +
                   ", which TwinPlan cannot use; it reads identity, translation, rigid, "
                   "similarity, affine and cubic B-spline transforms, and composites of these "
                   "in which the B-spline acts first.",
               file.string());
}

ItkPiece fromLinear(const Linear& linear) {
  ItkPiece piece;
  piece.type =
      isRigidClass(linear.GetNameOfClass()) ? ItkPiece::Type::Rigid : ItkPiece::Type::Affine;
  for (unsigned r = 0; r < 3; ++r) {
    for (unsigned c = 0; c < 3; ++c) piece.matrix[3 * r + c] = linear.GetMatrix()(r, c);
    piece.centre[r] = linear.GetCenter()[r];
    piece.translation[r] = linear.GetTranslation()[r];
  }
  return piece;
}

ItkPiece fromBSpline(const BSpline& bspline) {
  ItkPiece piece;
  piece.type = ItkPiece::Type::BSpline;
  const auto& fixed = bspline.GetFixedParameters();
  for (unsigned a = 0; a < 3; ++a) {
    piece.gridSize[a] = static_cast<std::int64_t>(fixed[a] + 0.5);
    piece.gridOrigin[a] = fixed[3 + a];
    piece.gridSpacing[a] = fixed[6 + a];
  }
  for (unsigned e = 0; e < 9; ++e) piece.gridDirection[e] = fixed[9 + e];
  const auto& parameters = bspline.GetParameters();
  const std::size_t nodes = parameters.size() / 3;
  piece.nodeDisplacements.resize(3 * nodes);
  for (std::size_t n = 0; n < nodes; ++n)
    for (std::size_t a = 0; a < 3; ++a)
      piece.nodeDisplacements[3 * n + a] = parameters[static_cast<unsigned>(a * nodes + n)];
  return piece;
}

ItkPiece pieceOf(const TransformBase& transform, const std::filesystem::path& file) {
  const std::string name = transform.GetNameOfClass();
  if (transform.GetInputSpaceDimension() != 3 || transform.GetOutputSpaceDimension() != 3)
    throw unsupported(file,
                      "a " + std::to_string(transform.GetInputSpaceDimension()) + "D " + name);
  if (name == "IdentityTransform") return {};
  if (const auto* translation = dynamic_cast<const Translation*>(&transform)) {
    ItkPiece piece;
    piece.type = ItkPiece::Type::Rigid;
    for (unsigned a = 0; a < 3; ++a) piece.translation[a] = translation->GetOffset()[a];
    return piece;
  }
  if (const auto* linear = dynamic_cast<const Linear*>(&transform)) return fromLinear(*linear);
  if (const auto* bspline = dynamic_cast<const BSpline*>(&transform)) return fromBSpline(*bspline);
  if (name == "BSplineTransform")
    throw unsupported(file, "a B-spline transform whose order is not 3 (cubic)");
  throw unsupported(file, "an ITK " + name);
}

// ITK's text reader accepts a block whose parameter lines are short or missing and leaves the
// rest of the transform at its defaults; count them against what each transform needs.
void requireCompleteTextBlocks(const std::filesystem::path& file,
                               const std::vector<const TransformBase*>& leavesInFileOrder) {
  std::ifstream in(file);
  std::string line;
  std::vector<std::array<std::size_t, 2>> counts;  // (parameters, fixed) per leaf block
  bool inLeaf = false;
  while (std::getline(in, line)) {
    if (line.rfind("Transform:", 0) == 0) {
      inLeaf = line.find("CompositeTransform") == std::string::npos;
      if (inLeaf) counts.push_back({0, 0});
      continue;
    }
    const bool fixed = line.rfind("FixedParameters:", 0) == 0;
    if (!inLeaf || !(fixed || line.rfind("Parameters:", 0) == 0)) continue;
    std::istringstream values(line.substr(line.find(':') + 1));
    std::size_t n = 0;
    for (double v; values >> v;) ++n;
    counts.back()[fixed ? 1 : 0] = n;
  }
  for (std::size_t i = 0; i < leavesInFileOrder.size() && i < counts.size(); ++i) {
    const TransformBase& t = *leavesInFileOrder[i];
    const std::size_t wanted = t.GetNumberOfParameters();
    const std::size_t wantedFixed = t.GetFixedParameters().size();
    // Euler3DTransform's 4th fixed parameter (the ZYX-order flag) is newer than ITK 4.
    const bool oldEuler = std::string(t.GetNameOfClass()) == "Euler3DTransform" &&
                          counts[i][1] == 3 && wantedFixed == 4;
    if (counts[i][0] != wanted || (counts[i][1] != wantedFixed && !oldEuler))
      throw Error(ErrorKind::Corrupt,
                  "The transform file \"" + file.string() + "\" is incomplete: its " +
                      t.GetNameOfClass() + " has " + std::to_string(counts[i][0]) +
                      " parameters and " + std::to_string(counts[i][1]) +
                      " fixed parameters where " + std::to_string(wanted) + " and " +
                      std::to_string(wantedFixed) + " are needed.",
                  file.string());
  }
}

void collectLeaves(const TransformBase& transform, std::vector<const TransformBase*>& leaves) {
  if (const auto* composite = dynamic_cast<const Composite*>(&transform)) {
    for (const auto& sub : composite->GetTransformQueue()) collectLeaves(*sub, leaves);
    return;
  }
  leaves.push_back(&transform);
}

void collectPieces(const TransformBase& transform, const std::filesystem::path& file,
                   std::vector<ItkPiece>& actingFirstToLast) {
  if (const auto* composite = dynamic_cast<const Composite*>(&transform)) {
    const auto& queue = composite->GetTransformQueue();  // the back acts first
    for (auto it = queue.rbegin(); it != queue.rend(); ++it)
      collectPieces(**it, file, actingFirstToLast);
    return;
  }
  actingFirstToLast.push_back(pieceOf(transform, file));
}

}  // namespace

void writeItkPieces(const std::vector<ItkPiece>& actingFirstToLast,
                    const std::filesystem::path& file) {
  registerTransformIOs();
  TransformBase::Pointer transform;
  try {
    transform = toItk(actingFirstToLast);
  } catch (const itk::ExceptionObject& e) {
    throw Error(ErrorKind::InvalidInput,
                std::string("The transform has no ITK form: ") + e.GetDescription(), file.string());
  }
  auto writer = itk::TransformFileWriterTemplate<double>::New();
  writer->SetInput(transform);
  writer->SetFileName(file.string());
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);  // no half-written file
    throw Error(ErrorKind::Io,
                "Cannot write the transform file \"" + file.string() + "\" (" + e.GetDescription() +
                    "); check that its folder exists and is writable.",
                file.string());
  }
}

std::vector<ItkPiece> readItkPieces(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw Error(ErrorKind::NotFound, "The transform file \"" + file.string() + "\" does not exist.",
                file.string());
  registerTransformIOs();
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(file.string());
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error(ErrorKind::Corrupt,
                "The transform file \"" + file.string() +
                    "\" cannot be read as an ITK transform: " + e.GetDescription(),
                file.string());
  }
  const auto* list = reader->GetTransformList();
  if (!list || list->empty())
    throw Error(ErrorKind::Corrupt,
                "The transform file \"" + file.string() + "\" holds no transform.", file.string());
  if (list->size() > 1)
    throw unsupported(file, std::to_string(list->size()) +
                                " separate transforms rather than one CompositeTransform, so the "
                                "order in which they apply is not stated");
  const std::string ext = file.extension().string();
  if (ext != ".h5" && ext != ".hdf5" && ext != ".H5") {
    std::vector<const TransformBase*> leaves;
    collectLeaves(*list->front(), leaves);
    requireCompleteTextBlocks(file, leaves);
  }
  std::vector<ItkPiece> pieces;
  collectPieces(*list->front(), file, pieces);
  return pieces;
}

}  // namespace twinplan::registration::detail
