#include "twinplan/tissue/inp_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> splitCommas(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i)
    if (i == line.size() || line[i] == ',') {
      fields.push_back(trim(line.substr(start, i - start)));
      start = i + 1;
    }
  return fields;
}

struct Keyword {
  std::string name;                           // upper case, single spaces
  std::map<std::string, std::string> params;  // upper-case name -> value as written ("" flag)
  int line = 0;
};

struct DataLine {
  std::vector<std::string> fields;
  int line = 0;
};

class Parser {
 public:
  Parser(std::string_view text, std::string name) : text_(text) { model_.name = std::move(name); }

  FeModel run() {
    std::vector<std::pair<Keyword, std::vector<DataLine>>> blocks = split();
    for (auto& [keyword, data] : blocks) handle(keyword, data);
    if (step_) fail(step_->line, "*STEP has no *END STEP");
    assignSections();
    return std::move(model_);
  }

 private:
  [[noreturn]] void fail(int line, const std::string& what,
                         ErrorKind kind = ErrorKind::InvalidInput) const {
    throw Error(kind, model_.name + " line " + std::to_string(line) + ": " + what + ".",
                model_.name);
  }

  std::vector<std::pair<Keyword, std::vector<DataLine>>> split() {
    std::vector<std::pair<Keyword, std::vector<DataLine>>> blocks;
    std::istringstream in{std::string(text_)};
    std::string raw;
    int number = 0;
    std::string pending;
    int pendingLine = 0;
    while (std::getline(in, raw)) {
      ++number;
      const std::string line = trim(raw);
      if (line.empty() || line.rfind("**", 0) == 0) continue;
      if (line[0] == '*') {
        if (!pending.empty()) fail(pendingLine, "a data line ends in a comma but nothing follows");
        blocks.emplace_back(parseKeyword(line, number), std::vector<DataLine>{});
        continue;
      }
      if (blocks.empty()) fail(number, "data before the first keyword");
      if (pending.empty()) pendingLine = number;
      pending += line;
      // A trailing comma continues the line, for elements with many nodes; other keywords'
      // lines may end in a comma for an empty last field, so continue only for *ELEMENT.
      if (pending.back() == ',' && blocks.back().first.name == "ELEMENT" &&
          !elementLineComplete(blocks.back().first, pending))
        continue;
      std::vector<std::string> fields = splitCommas(pending);
      while (!fields.empty() && fields.back().empty()) fields.pop_back();
      blocks.back().second.push_back({std::move(fields), pendingLine});
      pending.clear();
    }
    if (!pending.empty()) fail(pendingLine, "a data line ends in a comma but nothing follows");
    return blocks;
  }

  bool elementLineComplete(const Keyword& k, const std::string& line) const {
    const auto type = k.params.find("TYPE");
    if (type == k.params.end()) return true;
    const std::size_t want = upper(type->second) == "C3D10" ? 11 : 5;
    std::vector<std::string> fields = splitCommas(line);
    while (!fields.empty() && fields.back().empty()) fields.pop_back();
    return fields.size() >= want;
  }

  Keyword parseKeyword(const std::string& line, int number) const {
    std::vector<std::string> fields = splitCommas(std::string_view(line).substr(1));
    Keyword k;
    k.line = number;
    std::istringstream words(upper(fields[0]));
    for (std::string w; words >> w;) k.name += (k.name.empty() ? "" : " ") + w;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      if (fields[i].empty()) continue;
      const std::size_t eq = fields[i].find('=');
      if (eq == std::string::npos)
        k.params[upper(fields[i])] = "";
      else
        k.params[upper(trim(fields[i].substr(0, eq)))] = trim(fields[i].substr(eq + 1));
    }
    return k;
  }

  double number(const DataLine& d, std::size_t i, const char* what) const {
    if (i >= d.fields.size() || d.fields[i].empty()) fail(d.line, std::string("missing ") + what);
    std::string_view s = d.fields[i];
    if (s.front() == '+') s.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
      fail(d.line, std::string(what) + " '" + d.fields[i] + "' is not a number");
    return v;
  }

  int integer(const DataLine& d, std::size_t i, const char* what) const {
    const double v = number(d, i, what);
    if (v != static_cast<int>(v)) fail(d.line, std::string(what) + " must be a whole number");
    return static_cast<int>(v);
  }

  std::string param(const Keyword& k, const char* name) const {
    const auto it = k.params.find(name);
    if (it == k.params.end() || it->second.empty())
      fail(k.line, "*" + k.name + " needs " + name + "=");
    return it->second;
  }

  std::size_t node(int id, int line) const {
    const auto it = nodeIndex_.find(id);
    if (it == nodeIndex_.end())
      fail(line, "node " + std::to_string(id) + " is not defined by any *NODE");
    return it->second;
  }

  std::size_t element(int id, int line) const {
    const auto it = elementIndex_.find(id);
    if (it == elementIndex_.end())
      fail(line, "element " + std::to_string(id) + " is not defined by any *ELEMENT");
    return it->second;
  }

  // A node number or a node set name.
  std::vector<std::size_t> nodesOf(const DataLine& d, std::size_t i) const {
    if (i >= d.fields.size() || d.fields[i].empty()) fail(d.line, "missing node or node set");
    const std::string& f = d.fields[i];
    if (std::isdigit(static_cast<unsigned char>(f[0])))
      return {node(integer(d, i, "node"), d.line)};
    const auto set = model_.nodeSets.find(upper(f));
    if (set == model_.nodeSets.end()) fail(d.line, "node set " + f + " is not defined by *NSET");
    return set->second;
  }

  std::vector<std::size_t> elementsOf(const DataLine& d, std::size_t i) const {
    if (i >= d.fields.size() || d.fields[i].empty()) fail(d.line, "missing element or element set");
    const std::string& f = d.fields[i];
    if (std::isdigit(static_cast<unsigned char>(f[0])))
      return {element(integer(d, i, "element"), d.line)};
    const auto set = model_.elementSets.find(upper(f));
    if (set == model_.elementSets.end())
      fail(d.line, "element set " + f + " is not defined by *ELSET");
    return set->second;
  }

  void handle(const Keyword& k, const std::vector<DataLine>& data) {
    const std::string& n = k.name;
    if (n == "HEADING") return;
    if (n == "NODE") return readNodes(k, data);
    if (n == "ELEMENT") return readElements(k, data);
    if (n == "NSET") return readSet(k, data, true);
    if (n == "ELSET") return readSet(k, data, false);
    if (n == "MATERIAL") {
      model_.materials.push_back({});
      model_.materials.back().name = upper(param(k, "NAME"));
      return;
    }
    if (n == "ELASTIC" || n == "HYPERELASTIC" || n == "DENSITY") return readMaterial(k, data);
    if (n == "SOLID SECTION") {
      sections_.push_back({upper(param(k, "ELSET")), upper(param(k, "MATERIAL")), k.line});
      return;
    }
    if (n == "BOUNDARY") return readBoundary(k, data);
    if (n == "CLOAD") return readCload(k, data);
    if (n == "DLOAD") return readDload(k, data);
    if (n == "STEP") return beginStep(k);
    if (n == "STATIC") return readStatic(k, data);
    if (n == "END STEP") {
      if (!step_) fail(k.line, "*END STEP without *STEP");
      model_.steps.push_back(std::move(*step_));
      step_.reset();
      return;
    }
    if (n == "NODE FILE" || n == "EL FILE" || n == "NODE PRINT" || n == "EL PRINT" ||
        n == "NODE OUTPUT" || n == "ELEMENT OUTPUT" || n == "OUTPUT") {
      model_.notes.push_back("line " + std::to_string(k.line) + ": *" + n +
                             " ignored (output request; the result is the nodal displacements)");
      return;
    }
    fail(k.line, "*" + n + " is not supported; supported: " + std::string(supportedInpKeywords()),
         ErrorKind::Unsupported);
  }

  void readNodes(const Keyword& k, const std::vector<DataLine>& data) {
    std::vector<std::size_t> members;
    for (const DataLine& d : data) {
      const int id = integer(d, 0, "node number");
      if (nodeIndex_.count(id)) fail(d.line, "node " + std::to_string(id) + " is defined twice");
      nodeIndex_[id] = model_.nodes.size();
      members.push_back(model_.nodes.size());
      model_.nodes.push_back({id, {number(d, 1, "x"), number(d, 2, "y"), number(d, 3, "z")}});
    }
    if (k.params.count("NSET")) addTo(model_.nodeSets[upper(k.params.at("NSET"))], members);
  }

  void readElements(const Keyword& k, const std::vector<DataLine>& data) {
    const std::string type = upper(param(k, "TYPE"));
    if (type != "C3D4" && type != "C3D10")
      fail(k.line, "*ELEMENT TYPE=" + type + " is not supported; supported: C3D4, C3D10",
           ErrorKind::Unsupported);
    const ElementType t = type == "C3D4" ? ElementType::C3D4 : ElementType::C3D10;
    std::vector<std::size_t> members;
    for (const DataLine& d : data) {
      if (d.fields.size() != 1 + nodesPerElement(t))
        fail(d.line, type + " element needs its number and " + std::to_string(nodesPerElement(t)) +
                         " nodes, not " + std::to_string(d.fields.size() - 1));
      Element e{integer(d, 0, "element number"), t, {}, -1};
      if (elementIndex_.count(e.id))
        fail(d.line, "element " + std::to_string(e.id) + " is defined twice");
      for (std::size_t i = 1; i < d.fields.size(); ++i) {
        const int id = integer(d, i, "node number");
        if (!nodeIndex_.count(id))
          fail(d.line, "element " + std::to_string(e.id) + " refers to node " + std::to_string(id) +
                           ", which no *NODE defines");
        e.nodes.push_back(nodeIndex_.at(id));
      }
      elementIndex_[e.id] = model_.elements.size();
      members.push_back(model_.elements.size());
      model_.elements.push_back(std::move(e));
    }
    if (k.params.count("ELSET")) addTo(model_.elementSets[upper(k.params.at("ELSET"))], members);
  }

  static void addTo(std::vector<std::size_t>& set, const std::vector<std::size_t>& members) {
    set.insert(set.end(), members.begin(), members.end());
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
  }

  void readSet(const Keyword& k, const std::vector<DataLine>& data, bool nodes) {
    const std::string name = upper(param(k, nodes ? "NSET" : "ELSET"));
    std::vector<std::size_t> members;
    const bool generate = k.params.count("GENERATE") > 0;
    for (const DataLine& d : data) {
      if (generate) {
        const int first = integer(d, 0, "first"), last = integer(d, 1, "last");
        const int step = d.fields.size() > 2 ? integer(d, 2, "increment") : 1;
        if (step <= 0 || last < first)
          fail(d.line, "GENERATE needs first <= last and increment > 0");
        for (int id = first; id <= last; id += step)
          members.push_back(nodes ? node(id, d.line) : element(id, d.line));
        continue;
      }
      for (std::size_t i = 0; i < d.fields.size(); ++i) {
        if (d.fields[i].empty()) continue;
        const std::vector<std::size_t> m = nodes ? nodesOf(d, i) : elementsOf(d, i);
        members.insert(members.end(), m.begin(), m.end());
      }
    }
    addTo((nodes ? model_.nodeSets : model_.elementSets)[name], members);
  }

  void readMaterial(const Keyword& k, const std::vector<DataLine>& data) {
    if (model_.materials.empty()) fail(k.line, "*" + k.name + " outside a *MATERIAL");
    if (data.empty()) fail(k.line, "*" + k.name + " needs a data line");
    Material& m = model_.materials.back();
    const DataLine& d = data.front();
    if (k.name == "DENSITY") {
      m.density_t_per_mm3 = number(d, 0, "density");
      return;
    }
    if (m.hasLaw) fail(k.line, "material " + m.name + " has two elastic laws");
    m.hasLaw = true;
    if (k.name == "ELASTIC") {
      if (k.params.count("TYPE") && upper(k.params.at("TYPE")) != "ISO")
        fail(k.line, "*ELASTIC TYPE=" + k.params.at("TYPE") + " is not supported; only isotropic",
             ErrorKind::Unsupported);
      m.law = MaterialLaw::LinearElastic;
      m.youngsModulus_MPa = number(d, 0, "Young's modulus");
      m.poissonsRatio = number(d, 1, "Poisson's ratio");
      if (!(m.youngsModulus_MPa > 0) || !(m.poissonsRatio > -1 && m.poissonsRatio < 0.5))
        fail(d.line, "*ELASTIC needs E > 0 and -1 < nu < 0.5");
      return;
    }
    if (!k.params.count("NEO HOOKE"))
      fail(k.line, "*HYPERELASTIC is supported with NEO HOOKE only", ErrorKind::Unsupported);
    m.law = MaterialLaw::NeoHooke;
    m.c10_MPa = number(d, 0, "C10");
    m.d1_perMPa = number(d, 1, "D1");
    if (!(m.c10_MPa > 0) || !(m.d1_perMPa > 0))
      fail(d.line, "NEO HOOKE needs C10 > 0 and D1 > 0 (D1 = 0, incompressible, is not supported)");
  }

  std::vector<PrescribedDisplacement>& boundaryList() {
    return step_ ? step_->boundaries : model_.fixedBoundaries;
  }

  void readBoundary(const Keyword& k, const std::vector<DataLine>& data) {
    for (const DataLine& d : data) {
      const std::vector<std::size_t> nodes = nodesOf(d, 0);
      int first = 1, last = 3;
      double value = 0;
      const std::string kind = d.fields.size() > 1 ? upper(d.fields[1]) : "";
      if (kind == "ENCASTRE" || kind == "PINNED") {
      } else if (!kind.empty() && std::isalpha(static_cast<unsigned char>(kind[0]))) {
        fail(d.line, "*BOUNDARY type " + kind + " is not supported; use ENCASTRE, PINNED or dofs",
             ErrorKind::Unsupported);
      } else {
        first = integer(d, 1, "first degree of freedom");
        last = d.fields.size() > 2 && !d.fields[2].empty() ? integer(d, 2, "last degree of freedom")
                                                           : first;
        value = d.fields.size() > 3 ? number(d, 3, "displacement") : 0;
        if (first < 1 || last < first || last > 6)
          fail(d.line, "degrees of freedom must be 1..6 with first <= last");
      }
      // Dofs 4-6 are rotations, which solid elements do not have (Abaqus ignores them too).
      for (std::size_t n : nodes)
        for (int dof = first; dof <= std::min(last, 3); ++dof)
          boundaryList().push_back({n, dof - 1, value});
    }
    (void)k;
  }

  Step& currentStep(const Keyword& k) {
    if (!step_) fail(k.line, "*" + k.name + " must be inside a *STEP");
    return *step_;
  }

  void readCload(const Keyword& k, const std::vector<DataLine>& data) {
    Step& step = currentStep(k);
    for (const DataLine& d : data) {
      const int dof = integer(d, 1, "degree of freedom");
      if (dof < 1 || dof > 3) fail(d.line, "*CLOAD degree of freedom must be 1, 2 or 3");
      const double force = number(d, 2, "force");
      for (std::size_t n : nodesOf(d, 0)) step.nodalForces.push_back({n, dof - 1, force});
    }
  }

  void readDload(const Keyword& k, const std::vector<DataLine>& data) {
    Step& step = currentStep(k);
    for (const DataLine& d : data) {
      const std::vector<std::size_t> elements = elementsOf(d, 0);
      const std::string type = d.fields.size() > 1 ? upper(d.fields[1]) : "";
      if (type == "GRAV") {
        GravityLoad g{elements,
                      number(d, 2, "gravity magnitude"),
                      {number(d, 3, "direction x"), number(d, 4, "direction y"),
                       number(d, 5, "direction z")}};
        const double norm =
            std::sqrt(g.direction[0] * g.direction[0] + g.direction[1] * g.direction[1] +
                      g.direction[2] * g.direction[2]);
        if (!(norm > 0)) fail(d.line, "GRAV needs a non-zero direction");
        for (double& c : g.direction) c /= norm;
        for (std::size_t e : elements) pendingGravity_.push_back({e, d.line});
        step.gravity.push_back(std::move(g));
      } else if (type.size() == 2 && type[0] == 'P' && type[1] >= '1' && type[1] <= '4') {
        const double p = number(d, 2, "pressure");
        for (std::size_t e : elements) step.pressures.push_back({e, type[1] - '0', p});
      } else {
        fail(d.line,
             "*DLOAD type " + (type.empty() ? std::string("(none)") : type) +
                 " is not supported; supported: GRAV, P1, P2, P3, P4",
             ErrorKind::Unsupported);
      }
    }
  }

  void beginStep(const Keyword& k) {
    if (step_) fail(k.line, "*STEP inside a *STEP (missing *END STEP)");
    step_.emplace();
    step_->line = k.line;
    const auto nl = k.params.find("NLGEOM");
    step_->nlgeom = nl != k.params.end() && upper(nl->second) != "NO";
    if (k.params.count("INC")) {
      const int inc = std::atoi(k.params.at("INC").c_str());
      if (inc <= 0) fail(k.line, "*STEP INC= must be a positive whole number");
      step_->maximumIncrements = inc;
    }
  }

  void readStatic(const Keyword& k, const std::vector<DataLine>& data) {
    Step& step = currentStep(k);
    if (data.empty()) return;
    const DataLine& d = data.front();
    auto valueOr = [&](std::size_t i, const char* what, double fallback) {
      return i < d.fields.size() && !d.fields[i].empty() ? number(d, i, what) : fallback;
    };
    step.period = valueOr(1, "time period", 1);
    step.initialIncrement = valueOr(0, "initial increment", step.period);
    step.minimumIncrement = valueOr(2, "minimum increment", step.minimumIncrement);
    if (d.fields.size() > 3 && !d.fields[3].empty())
      step.maximumIncrements = static_cast<int>(number(d, 3, "maximum increment"));
    if (!(step.period > 0) || !(step.initialIncrement > 0))
      fail(d.line, "*STATIC needs a positive initial increment and time period");
  }

  void assignSections() {
    for (const auto& [elset, materialName, line] : sections_) {
      const auto set = model_.elementSets.find(elset);
      if (set == model_.elementSets.end())
        fail(line, "*SOLID SECTION names element set " + elset + ", which no *ELSET defines");
      const auto m = std::find_if(model_.materials.begin(), model_.materials.end(),
                                  [&](const Material& x) { return x.name == materialName; });
      if (m == model_.materials.end())
        fail(line,
             "*SOLID SECTION names material " + materialName + ", which no *MATERIAL defines");
      if (!m->hasLaw) fail(line, "material " + materialName + " has no *ELASTIC or *HYPERELASTIC");
      for (std::size_t e : set->second)
        model_.elements[e].material = static_cast<int>(m - model_.materials.begin());
    }
    for (const auto& [e, line] : pendingGravity_) {
      const int m = model_.elements[e].material;
      if (m >= 0 && !(model_.materials[static_cast<std::size_t>(m)].density_t_per_mm3 > 0))
        fail(line, "GRAV loads element " + std::to_string(model_.elements[e].id) +
                       ", whose material " + model_.materials[static_cast<std::size_t>(m)].name +
                       " has no *DENSITY");
    }
  }

  struct Section {
    std::string elset, material;
    int line;
  };

  std::string_view text_;
  FeModel model_;
  std::unordered_map<int, std::size_t> nodeIndex_, elementIndex_;
  std::vector<Section> sections_;
  std::vector<std::pair<std::size_t, int>> pendingGravity_;
  std::optional<Step> step_;
};

}  // namespace

std::string_view supportedInpKeywords() {
  return "*HEADING, *NODE, *ELEMENT (C3D4, C3D10), *NSET, *ELSET, *MATERIAL, *ELASTIC, "
         "*HYPERELASTIC (NEO HOOKE), *DENSITY, *SOLID SECTION, *BOUNDARY, *CLOAD, *DLOAD (GRAV, "
         "P1-P4), *STEP (NLGEOM), *STATIC, *END STEP; output requests are ignored";
}

FeModel parseInp(std::string_view text, const std::string& name) {
  return Parser(text, name).run();
}

FeModel readInp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorKind::Io, "Cannot read " + path.string() + ": check that the file exists.",
                path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parseInp(text.str(), path.filename().string());
}

}  // namespace twinplan::tissue
