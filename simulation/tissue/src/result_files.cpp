#include "twinplan/tissue/result_files.h"

#include <fstream>
#include <functional>
#include <iomanip>
#include <system_error>

#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

void writeAtomically(const std::filesystem::path& path,
                     const std::function<void(std::ostream&)>& write) {
  std::filesystem::path temporary = path;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::binary);
    if (!out)
      throw Error(ErrorKind::Io,
                  "Cannot write " + path.string() + ": check the folder exists and is writable.",
                  path.string());
    out.imbue(std::locale::classic());
    out << std::setprecision(17);
    write(out);
    if (!out) {
      out.close();
      std::filesystem::remove(temporary);
      throw Error(ErrorKind::Io, "Writing " + path.string() + " failed (disk full?).",
                  path.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary);
    throw Error(ErrorKind::Io, "Cannot write " + path.string() + ": " + ec.message() + ".",
                path.string());
  }
}

void writeVectors(std::ostream& out, const char* name,
                  const std::vector<std::array<double, 3>>& values) {
  out << "<DataArray type=\"Float64\" Name=\"" << name
      << "\" NumberOfComponents=\"3\" format=\"ascii\">\n";
  for (const auto& v : values) out << v[0] << ' ' << v[1] << ' ' << v[2] << '\n';
  out << "</DataArray>\n";
}

}  // namespace

void writeVtu(const FeModel& model, const SolveResult& result, const std::filesystem::path& path) {
  writeAtomically(path, [&](std::ostream& out) {
    out << "<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\" version=\"0.1\" "
           "byte_order=\"LittleEndian\">\n<UnstructuredGrid>\n<Piece NumberOfPoints=\""
        << model.nodes.size() << "\" NumberOfCells=\"" << model.elements.size() << "\">\n";
    out << "<PointData Vectors=\"displacement_mm\">\n";
    writeVectors(out, "displacement_mm", result.displacement_mm);
    writeVectors(out, "reaction_N", result.reaction_N);
    out << "</PointData>\n<CellData Scalars=\"material\">\n"
        << "<DataArray type=\"Int32\" Name=\"material\" format=\"ascii\">\n";
    for (const Element& e : model.elements) out << e.material << '\n';
    out << "</DataArray>\n</CellData>\n<Points>\n";
    std::vector<std::array<double, 3>> points;
    for (const Node& n : model.nodes) points.push_back(n.x_mm);
    writeVectors(out, "Points", points);
    out << "</Points>\n<Cells>\n<DataArray type=\"Int64\" Name=\"connectivity\" "
           "format=\"ascii\">\n";
    for (const Element& e : model.elements) {
      for (std::size_t n : e.nodes) out << n << ' ';
      out << '\n';
    }
    out << "</DataArray>\n<DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n";
    std::size_t offset = 0;
    for (const Element& e : model.elements) out << (offset += e.nodes.size()) << '\n';
    out << "</DataArray>\n<DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n";
    for (const Element& e : model.elements) out << (e.type == ElementType::C3D4 ? 10 : 24) << '\n';
    out << "</DataArray>\n</Cells>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n";
  });
}

void writeDisplacementJson(const FeModel& model, const SolveResult& result,
                           const std::filesystem::path& path) {
  writeAtomically(path, [&](std::ostream& out) {
    out << "{\"nodes\": [\n";
    for (std::size_t i = 0; i < model.nodes.size(); ++i) {
      const auto& x = model.nodes[i].x_mm;
      const auto& u = result.displacement_mm[i];
      out << "{\"id\": " << model.nodes[i].id << ", \"x_mm\": [" << x[0] << ", " << x[1] << ", "
          << x[2] << "], \"u_mm\": [" << u[0] << ", " << u[1] << ", " << u[2] << "]}"
          << (i + 1 < model.nodes.size() ? ",\n" : "\n");
    }
    out << "]}\n";
  });
}

}  // namespace twinplan::tissue
